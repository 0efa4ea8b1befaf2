"""SPEC S4: password with lockout, and a second factor for district and finance roles."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.audit.models import AuditEvent
from huzhu.management.commands.totp import current_code
from tests.conftest import PASSWORD


def post_login(client, username, password):
    return client.post(reverse("console:login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_s4_password_sign_in_lands_on_the_dashboard_and_is_audited(client, people):
    response = post_login(client, "hutang", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("console:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", actor_user=people.hutang_admin).exists()


@pytest.mark.django_db
def test_s4_wrong_password_is_refused_and_logged(client, people):
    response = post_login(client, "hutang", "wrong")
    assert response.status_code == 200
    assert "正确的用户名和密码" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.sign_in_failed", summary="hutang").exists()


@pytest.mark.django_db
def test_s4_five_failures_lock_the_account_even_for_the_right_password(client, people):
    for _ in range(5):
        post_login(client, "hutang", "wrong")
    response = post_login(client, "hutang", PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert client.get(reverse("console:dashboard")).status_code == 302


@pytest.mark.django_db
def test_s4_lockout_of_one_user_leaves_others_alone(client, people):
    for _ in range(5):
        post_login(client, "hutang", "wrong")
    assert post_login(client, "niutang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_s4_district_admin_needs_the_second_factor(client, people):
    post_login(client, "district", PASSWORD)
    response = client.get(reverse("console:members"))
    assert response.status_code == 302 and response["Location"] == reverse("console:otp")
    device = TOTPDevice.objects.get(user=people.district_admin)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    bad = client.post(reverse("console:otp"), {"code": wrong})
    assert "验证码错误或已过期" in bad.content.decode()
    assert client.get(reverse("console:members")).status_code == 302
    # django-otp throttles the next try by 2^(failures-1) seconds: let that second pass.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=2)
    )
    client.post(reverse("console:otp"), {"code": current_code(device)})
    assert client.get(reverse("console:members")).status_code == 200


@pytest.mark.django_db
def test_org_admin_needs_no_second_factor(client, people):
    post_login(client, "hutang", PASSWORD)
    assert client.get(reverse("console:otp")).status_code == 302


@pytest.mark.django_db
def test_totp_command_prints_the_current_code(people, capsys):
    call_command("totp", "district")
    device = TOTPDevice.objects.get(user=people.district_admin)
    assert capsys.readouterr().out.strip() == current_code(device)


@pytest.mark.django_db
def test_second_factor_never_redirects_off_site(client, people):
    post_login(client, "district", PASSWORD)
    device = TOTPDevice.objects.get(user=people.district_admin)
    response = client.post(
        reverse("console:otp") + "?next=https://evil.example/", {"code": current_code(device)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:dashboard")
