"""SPEC S4: enrolling an authenticator needs a one-time code from the district admin, not
just the password; refused codes say how long to wait and are audited (SPEC S3)."""

import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts import services
from huzhu.accounts.models import EnrolmentCode, User
from huzhu.accounts.services import (
    SecondFactorError,
    issue_enrolment_code,
    redeem_enrolment_code,
    verify_second_factor,
)
from huzhu.audit.models import AuditEvent
from huzhu.management.commands.totp import current_code
from tests.conftest import PASSWORD, make_user, sign_in

CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")
NEW_PASSWORD = "a-long-password-2022"


def wrong_code(device) -> str:
    return "000000" if current_code(device) != "000000" else "111111"


def otp(client, **data):
    return client.post(reverse("console:otp"), data)


def create_finance_user(admin_client, tree) -> str:
    """The district admin creates a finance user; returns the code shown once."""
    admin_client.post(
        reverse("console:users"),
        {
            "username": "cashier",
            "role": "finance",
            "unit": tree.district.pk,
            "password": NEW_PASSWORD,
        },
    )
    page = admin_client.get(reverse("console:users")).content.decode()
    return CODE.search(page).group()


@pytest.mark.django_db
def test_s4_the_password_alone_does_not_enrol_an_authenticator(client, people, tree):
    admin = sign_in(Client(), people.district_admin)
    code = create_finance_user(admin, tree)
    # Shown once: the next visit to the Users page no longer holds it.
    assert code not in admin.get(reverse("console:users")).content.decode()

    client.post(reverse("console:login"), {"username": "cashier", "password": NEW_PASSWORD})
    page = client.get(reverse("console:otp")).content.decode()
    assert "<svg" not in page and "绑定码" in page
    refused = otp(client, enrolment_code="ABCD-EFGH-JKMN").content.decode()
    assert "绑定码错误" in refused and "<svg" not in refused
    assert not TOTPDevice.objects.filter(user__username="cashier").exists()

    assert otp(client, enrolment_code=code.lower().replace("-", " ")).status_code == 302
    assert "<svg" in client.get(reverse("console:otp")).content.decode()
    device = TOTPDevice.objects.get(user__username="cashier", confirmed=False)
    otp(client, code=current_code(device))
    device.refresh_from_db()
    assert device.confirmed
    # A new user's next stop is the password change, then the console.
    assert client.get(reverse("console:dashboard"))["Location"] == reverse(
        "console:password_change"
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user.enrolment_code", "auth.second_factor_failed", "auth.second_factor_enrolled"} <= (
        actions
    )


@pytest.mark.django_db
def test_s4_an_enrolment_code_is_stored_hashed_spent_on_confirmation_and_expires(people):
    user = make_user("cashier", "finance", people.district_admin.unit)
    issued = issue_enrolment_code(actor=people.district_admin, user=user)
    stored = EnrolmentCode.objects.get(user=user)
    assert issued.code.replace("-", "") not in stored.code_hash
    device = redeem_enrolment_code(user=user, code=issued.code)
    stored.refresh_from_db()
    assert stored.used_at is None and stored.device == device
    # Redeemed again before the authenticator is confirmed: the same authenticator.
    assert redeem_enrolment_code(user=user, code=issued.code) == device
    verify_second_factor(user=user, device=device, token=current_code(device))
    stored.refresh_from_db()
    assert stored.used_at is not None
    with pytest.raises(SecondFactorError):
        redeem_enrolment_code(user=user, code=issued.code)

    expired = issue_enrolment_code(actor=people.district_admin, user=user)
    EnrolmentCode.objects.filter(used_at=None).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(SecondFactorError):
        redeem_enrolment_code(user=user, code=expired.code)


def signed_in_with_password(username) -> Client:
    client = Client()
    client.post(reverse("console:login"), {"username": username, "password": NEW_PASSWORD})
    return client


def shown_key(client) -> str:
    return re.search(
        r"<code>([A-Z2-7]+)</code>", client.get(reverse("console:otp")).content.decode()
    )[1]


@pytest.mark.django_db
def test_s4_a_code_redeemed_in_a_closed_browser_still_enrols_in_a_new_session(
    people, tree, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the wrong code below
    admin = sign_in(Client(), people.district_admin)
    code = create_finance_user(admin, tree)
    first = signed_in_with_password("cashier")
    assert otp(first, enrolment_code=code).status_code == 302
    key = shown_key(first)
    device = TOTPDevice.objects.get(user__username="cashier")
    assert "验证码错误" in otp(first, code=wrong_code(device)).content.decode()

    # The browser was closed: a new session asks for the code again and gets the same key.
    second = signed_in_with_password("cashier")
    assert "绑定码" in second.get(reverse("console:otp")).content.decode()
    assert otp(second, enrolment_code=code).status_code == 302
    assert shown_key(second) == key
    assert TOTPDevice.objects.filter(user__username="cashier").count() == 1
    assert otp(second, code=current_code(device)).status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    # Confirmed: the code is spent, and the password alone still reveals no key.
    third = signed_in_with_password("cashier")
    page = third.get(reverse("console:otp")).content.decode()
    assert "<svg" not in page and key not in page
    assert EnrolmentCode.objects.get(user__username="cashier").used_at is not None


@pytest.mark.django_db
def test_s4_a_new_code_ends_the_enrolment_the_previous_one_started(people, tree):
    admin = sign_in(Client(), people.district_admin)
    code = create_finance_user(admin, tree)
    cashier = signed_in_with_password("cashier")
    otp(cashier, enrolment_code=code)
    device = TOTPDevice.objects.get(user__username="cashier")
    issue_enrolment_code(actor=people.district_admin, user=device.user)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    page = cashier.get(reverse("console:otp")).content.decode()
    assert "<svg" not in page and "绑定码" in page


@pytest.mark.django_db
def test_s4_an_authenticator_whose_code_expired_is_not_confirmed(people):
    user = make_user("cashier", "finance", people.district_admin.unit)
    issued = issue_enrolment_code(actor=people.district_admin, user=user)
    device = redeem_enrolment_code(user=user, code=issued.code)
    EnrolmentCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(SecondFactorError) as refused:
        verify_second_factor(user=user, device=device, token=current_code(device))
    assert "绑定码已过期" in refused.value.message
    device.refresh_from_db()
    assert not device.confirmed
    assert AuditEvent.objects.filter(
        action="auth.second_factor_failed", data__reason="code_spent"
    ).exists()


@pytest.mark.django_db
def test_s4_a_new_code_replaces_the_previous_one(people):
    user = make_user("cashier", "finance", people.district_admin.unit)
    first = issue_enrolment_code(actor=people.district_admin, user=user)
    second = issue_enrolment_code(actor=people.district_admin, user=user)
    with pytest.raises(SecondFactorError):
        redeem_enrolment_code(user=user, code=first.code)
    assert redeem_enrolment_code(user=user, code=second.code).user == user


@pytest.mark.django_db
def test_s4_guessing_enrolment_codes_is_throttled(people, settings):
    user = make_user("cashier", "finance", people.district_admin.unit)
    issued = issue_enrolment_code(actor=people.district_admin, user=user)
    for _ in range(settings.HUZHU_ENROLMENT_CODE_TRIES):
        with pytest.raises(SecondFactorError):
            redeem_enrolment_code(user=user, code="2222-2222-2222")
    with pytest.raises(SecondFactorError) as refused:
        redeem_enrolment_code(user=user, code=issued.code)
    assert re.search(r"请等待 \d+ 秒", refused.value.message)


@pytest.mark.django_db
def test_s4_resetting_the_authenticator_shows_a_new_code_and_ends_the_old_one(client, people):
    finance = make_user("cashier", "finance", people.district_admin.unit, second_factor=True)
    sign_in(client, people.district_admin)
    client.post(reverse("console:user_reset_second_factor", args=[finance.pk]))
    page = client.get(reverse("console:users")).content.decode()
    assert CODE.search(page)
    assert not TOTPDevice.objects.filter(user=finance).exists()
    assert AuditEvent.objects.filter(action="user.reset_second_factor", object_id=str(finance.pk))


@pytest.mark.django_db
def test_s4_a_right_code_after_wrong_ones_says_how_long_to_wait(client, people):
    client.post(reverse("console:login"), {"username": "district", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=people.district_admin)
    for _ in range(3):
        otp(client, code=wrong_code(device))
    page = otp(client, code=current_code(device)).content.decode()
    assert re.search(r"验证码错误次数过多，请等待 \d+ 秒后再试", page)
    assert client.get(reverse("console:dashboard")).status_code == 302


@pytest.mark.django_db
def test_s3_every_refused_second_factor_code_is_audited(client, people):
    client.post(reverse("console:login"), {"username": "district", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=people.district_admin)
    for _ in range(20):
        otp(client, code=wrong_code(device))
    failed = AuditEvent.objects.filter(action="auth.second_factor_failed")
    assert failed.count() == 20
    assert {e.data["reason"] for e in failed} == {"wrong", "throttled"}
    assert all(e.actor_user == people.district_admin for e in failed)


@pytest.mark.django_db
def test_totp_command_issues_an_enrolment_code_for_the_first_district_admin(client, tree, capsys):
    make_user("wujin_admin", "district_admin", tree.district)
    with pytest.raises(CommandError) as refused:
        call_command("totp", "wujin_admin")
    assert refused.value.returncode == 2 and "--enrol" in str(refused.value)
    call_command("totp", "wujin_admin", "--enrol")
    code = capsys.readouterr().out.strip()
    assert CODE.fullmatch(code)
    client.post(reverse("console:login"), {"username": "wujin_admin", "password": PASSWORD})
    assert otp(client, enrolment_code=code).status_code == 302
    event = AuditEvent.objects.get(action="user.enrolment_code")
    assert event.actor_label == "system"


@pytest.mark.django_db
def test_totp_command_refuses_roles_without_a_second_factor(people):
    with pytest.raises(CommandError) as refused:
        call_command("totp", "hutang", "--enrol")
    assert refused.value.returncode == 2
    assert not User.objects.get(username="hutang").enrolment_codes.exists()


@pytest.mark.django_db(transaction=True)
def test_s4_an_enrolment_whose_audit_row_fails_leaves_nothing_confirmed(people, monkeypatch):
    # The confirmation, the spent code and the audit rows are one transaction: a failure
    # at the last write leaves the authenticator to be confirmed again, not half-enrolled.
    user = make_user("cashier", "finance", people.district_admin.unit)
    issued = issue_enrolment_code(actor=people.district_admin, user=user)
    device = redeem_enrolment_code(user=user, code=issued.code)
    audit = services._audit

    def failing(action, **kwargs):
        if action == "auth.second_factor":
            raise RuntimeError("disk full")
        return audit(action, **kwargs)

    monkeypatch.setattr(services, "_audit", failing)
    with pytest.raises(RuntimeError):
        verify_second_factor(user=user, device=device, token=current_code(device))
    device.refresh_from_db()
    assert not device.confirmed
    assert EnrolmentCode.objects.get(user=user).used_at is None
    assert not AuditEvent.objects.filter(action="auth.second_factor_enrolled").exists()
