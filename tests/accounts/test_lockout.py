"""SPEC S4 lockout: per username *and* address, a limit per address, no extension while
locked, and unlocking without the locked admin (the `huzhu unlock` command)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from tests.conftest import PASSWORD, sign_in

OFFICE = "198.51.100.7"
ELSEWHERE = "203.0.113.5"


def post_login(client, username, password, address=OFFICE):
    client.logout()
    return client.post(
        reverse("console:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail(client, username, times, address=OFFICE):
    for _ in range(times):
        post_login(client, username, "wrong", address)


def pass_time(minutes):
    earlier = F("attempt_time") - datetime.timedelta(minutes=minutes)
    AccessAttempt.objects.update(attempt_time=earlier)


@pytest.mark.django_db
def test_s4_a_lock_holds_only_at_the_address_that_caused_it(client, people):
    fail(client, "district", 5, address=ELSEWHERE)
    assert post_login(client, "district", PASSWORD, address=ELSEWHERE).status_code == 429
    # The real admin, at the office, is not locked out by someone elsewhere.
    assert post_login(client, "district", PASSWORD, address=OFFICE).status_code == 302


@pytest.mark.django_db
def test_s4_attempts_during_a_lock_do_not_extend_it(client, people):
    fail(client, "hutang", 5)
    pass_time(25)
    for _ in range(3):  # one every few minutes would have kept the lock forever
        assert post_login(client, "hutang", "wrong").status_code == 429
        assert post_login(client, "hutang", PASSWORD).status_code == 429
    assert AccessAttempt.objects.get(username="hutang").failures_since_start == 5
    pass_time(6)  # 31 minutes after the fifth failure
    assert post_login(client, "hutang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_s4_one_address_trying_many_usernames_is_locked(client, people, settings):
    for index in range(settings.HUZHU_LOCKOUT_ADDRESS_FAILURES):
        post_login(client, f"guess{index}", "wrong")
    assert post_login(client, "hutang", PASSWORD).status_code == 429
    assert post_login(client, "hutang", PASSWORD, address=ELSEWHERE).status_code == 302
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.data["scope"] == "address" and event.ip == OFFICE


@pytest.mark.django_db
def test_s4_an_office_sharing_one_address_survives_a_few_typos(client, people):
    # Four staff behind one NAT address each mistype their password four times.
    for username in ("hutang", "hutang_clerk", "niutang", "auditor"):
        fail(client, username, 4)
    assert post_login(client, "hutang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_s3_a_lock_is_audited_once(client, people):
    fail(client, "hutang", 8)
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.data == {"username": "hutang", "scope": "username_address"}
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == 8


@pytest.mark.django_db
def test_s4_operator_unlocks_the_only_district_admin_from_the_command_line(client, people):
    fail(client, "district", 5)
    assert post_login(client, "district", PASSWORD).status_code == 429
    call_command("unlock", "district")
    assert post_login(client, "district", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="user.unlock")
    assert event.object_id == str(people.district_admin.pk) and event.data == {"via": "command"}


@pytest.mark.django_db
def test_s4_operator_unlocks_an_address(client, people, settings):
    for index in range(settings.HUZHU_LOCKOUT_ADDRESS_FAILURES):
        post_login(client, f"guess{index}", "wrong")
    call_command("unlock", "--ip", OFFICE)
    assert post_login(client, "hutang", PASSWORD).status_code == 302
    assert AuditEvent.objects.get(action="auth.address_unlock").summary == OFFICE


@pytest.mark.django_db
def test_unlock_command_refuses_unknown_users_and_bad_addresses(people):
    for args in (["nobody"], ["--ip", "300.1.2.3"], []):
        with pytest.raises(CommandError) as refused:
            call_command("unlock", *args)
        assert refused.value.returncode == 2
    assert not AuditEvent.objects.filter(action__in=["user.unlock", "auth.address_unlock"])


@pytest.mark.django_db
def test_district_admin_unlocks_an_address_on_the_users_page(client, people, settings):
    for index in range(settings.HUZHU_LOCKOUT_ADDRESS_FAILURES):
        post_login(client, f"guess{index}", "wrong")
    sign_in(client, people.district_admin)
    page = client.get(reverse("console:users")).content.decode()
    assert 'id="locked-addresses"' in page and OFFICE in page
    client.post(reverse("console:address_unlock"), {"address": OFFICE})
    assert 'id="locked-addresses"' not in client.get(reverse("console:users")).content.decode()
    assert AuditEvent.objects.filter(action="auth.address_unlock", actor_user=people.district_admin)
    assert post_login(client, "hutang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lock_page_says_why_and_for_how_long(client, people):
    fail(client, "hutang", 4)
    response = post_login(client, "hutang", "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert "30 分钟" in html and "不会延长" in html
