import datetime

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.models import User
from huzhu.audit.models import AuditEvent
from tests.conftest import PASSWORD, sign_in


@pytest.mark.django_db
def test_district_admin_creates_a_user_and_the_role_must_fit_the_unit(client, people, tree):
    sign_in(client, people.district_admin)
    bad = client.post(
        reverse("console:users"),
        {
            "username": "wrong",
            "role": "org_admin",
            "unit": tree.hutang_union.pk,
            "password": "a-long-password-2022",
        },
    )
    assert "该角色不能归属于这一类单位" in bad.content.decode()
    client.post(
        reverse("console:users"),
        {
            "username": "wujin_new",
            "display_name": "新管理员",
            "role": "org_admin",
            "unit": tree.niutang.pk,
            "password": "a-long-password-2022",
        },
    )
    created = User.objects.get(username="wujin_new")
    assert created.unit == tree.niutang and created.check_password("a-long-password-2022")
    assert AuditEvent.objects.filter(action="user.create", actor_user=people.district_admin)


@pytest.mark.django_db
def test_weak_initial_password_is_refused(client, people, tree):
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:users"),
        {"username": "weak", "role": "org_admin", "unit": tree.niutang.pk, "password": "123"},
    )
    assert "密码" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_district_admin_unlocks_a_locked_user(client, people):
    for _ in range(5):
        client.post(reverse("console:login"), {"username": "hutang", "password": "wrong"})
    sign_in(client, people.district_admin)
    assert "已锁定" in client.get(reverse("console:users")).content.decode()
    client.post(reverse("console:user_unlock", args=[people.hutang_admin.pk]))
    client.logout()
    response = client.post(reverse("console:login"), {"username": "hutang", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_reset_second_factor_removes_the_device(client, people):
    sign_in(client, people.district_admin)
    finance = people.district_admin
    client.post(reverse("console:user_reset_second_factor", args=[finance.pk]))
    assert not TOTPDevice.objects.filter(user=finance).exists()


@pytest.mark.django_db
def test_only_the_district_admin_manages_users(client, people):
    for user in (people.hutang_admin, people.auditor):
        sign_in(client, user)
        assert client.get(reverse("console:users")).status_code == 403


@pytest.mark.django_db
def test_s4_the_users_page_shows_a_lock_only_until_the_cool_off_ends(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("console:login"), {"username": "hutang", "password": "wrong"})
    sign_in(client, people.district_admin)
    assert "已锁定" in client.get(reverse("console:users")).content.decode()
    cool_off = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - cool_off)
    assert "已锁定" not in client.get(reverse("console:users")).content.decode()
