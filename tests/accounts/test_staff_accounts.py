"""Staff accounts: own password, the initial password replaced at first sign-in, and the
district admin disabling a user (audited, SPEC S3)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from huzhu.accounts.models import User
from huzhu.audit.models import AuditEvent
from tests.conftest import PASSWORD, sign_in

NEW_PASSWORD = "a-much-better-one-2022"


def post_login(client, username, password):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def change(client, old, new, again=None):
    return client.post(
        reverse("console:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


@pytest.mark.django_db
def test_the_top_bar_links_to_the_password_page(client, people):
    sign_in(client, people.hutang_admin)
    html = client.get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:password_change")}"' in html and "修改密码" in html


@pytest.mark.django_db
def test_staff_change_their_own_password(client, people):
    post_login(client, "hutang", PASSWORD)
    assert change(client, PASSWORD, NEW_PASSWORD).status_code == 302
    people.hutang_admin.refresh_from_db()
    assert people.hutang_admin.check_password(NEW_PASSWORD)
    assert client.get(reverse("console:dashboard")).status_code == 200  # still signed in
    assert AuditEvent.objects.filter(action="auth.password_changed", actor_user=people.hutang_admin)


@pytest.mark.django_db
def test_password_messages_are_in_chinese(client, people):
    post_login(client, "hutang", PASSWORD)
    short = change(client, PASSWORD, "x7Qk").content.decode()
    assert "密码太短，至少需要 8 个字符。" in short
    assert "This password is too short" not in short
    assert "你的旧密码不正确" in change(client, "wrong", NEW_PASSWORD).content.decode()
    assert "两个密码不一致" in change(client, PASSWORD, NEW_PASSWORD, "other").content.decode()
    assert "新密码不能与原密码相同" in change(client, PASSWORD, PASSWORD).content.decode()
    people.hutang_admin.refresh_from_db()
    assert people.hutang_admin.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_short_initial_password_is_refused_in_chinese(client, people, tree):
    sign_in(client, people.district_admin)
    html = client.post(
        reverse("console:users"),
        {"username": "weak", "role": "org_admin", "unit": tree.niutang.pk, "password": "x7Qk"},
    ).content.decode()
    assert "密码太短，至少需要 8 个字符。" in html


@pytest.mark.django_db
def test_a_new_user_must_replace_the_initial_password_first(client, people, tree):
    admin = sign_in(Client(), people.district_admin)
    admin.post(
        reverse("console:users"),
        {
            "username": "wujin_new",
            "role": "org_admin",
            "unit": tree.niutang.pk,
            "password": PASSWORD,
        },
    )
    post_login(client, "wujin_new", PASSWORD)
    for name in ("console:dashboard", "console:members", "console:targets"):
        assert client.get(reverse(name))["Location"] == reverse("console:password_change")
    page = client.get(reverse("console:password_change")).content.decode()
    assert "请先设置自己的密码" in page
    change(client, PASSWORD, NEW_PASSWORD)
    assert client.get(reverse("console:dashboard")).status_code == 200
    assert not User.objects.get(username="wujin_new").must_change_password


@pytest.mark.django_db
def test_a_password_reset_shows_a_temporary_password_once_and_ends_sessions(client, people):
    hutang = sign_in(Client(), people.hutang_admin)
    sign_in(client, people.district_admin)
    client.post(reverse("console:user_reset_password", args=[people.hutang_admin.pk]))
    page = client.get(reverse("console:users")).content.decode()
    temporary = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    assert temporary not in client.get(reverse("console:users")).content.decode()
    assert hutang.get(reverse("console:dashboard")).status_code == 302  # old session ended
    post_login(hutang, "hutang", temporary)
    assert hutang.get(reverse("console:dashboard"))["Location"] == reverse(
        "console:password_change"
    )
    assert AuditEvent.objects.filter(action="user.reset_password", actor_user=people.district_admin)


@pytest.mark.django_db
def test_a_disabled_user_cannot_sign_in_and_open_sessions_stop(client, people):
    hutang = Client()
    post_login(hutang, "hutang", PASSWORD)
    assert hutang.get(reverse("console:dashboard")).status_code == 200
    sign_in(client, people.district_admin)
    client.post(reverse("console:user_disable", args=[people.hutang_admin.pk]))
    assert "已停用" in client.get(reverse("console:users")).content.decode()

    assert hutang.get(reverse("console:dashboard")).status_code == 302
    assert post_login(Client(), "hutang", PASSWORD).status_code == 200  # the form again
    client.post(reverse("console:user_enable", args=[people.hutang_admin.pk]))
    assert post_login(Client(), "hutang", PASSWORD).status_code == 302
    actions = list(
        AuditEvent.objects.filter(object_id=str(people.hutang_admin.pk))
        .filter(action__in=["user.disable", "user.enable"])
        .values_list("action", flat=True)
    )
    assert sorted(actions) == ["user.disable", "user.enable"]


@pytest.mark.django_db
def test_the_district_admin_cannot_disable_themself(client, people):
    sign_in(client, people.district_admin)
    response = client.post(reverse("console:user_disable", args=[people.district_admin.pk]))
    assert response.status_code == 302
    people.district_admin.refresh_from_db()
    assert people.district_admin.is_active
    assert "不能停用自己的账号" in client.get(reverse("console:users")).content.decode()


@pytest.mark.django_db
def test_only_the_district_admin_disables_users(client, people):
    for user in (people.hutang_admin, people.auditor):
        sign_in(client, user)
        response = client.post(reverse("console:user_disable", args=[people.niutang_admin.pk]))
        assert response.status_code == 403
    people.niutang_admin.refresh_from_db()
    assert people.niutang_admin.is_active
    assert not AuditEvent.objects.filter(action="user.disable").exists()
