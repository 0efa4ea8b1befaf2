"""SPEC S3 and §0: the audit page in Chinese, filtered by the Chinese action names, who and
dates; every page an auditor opens is itself written to the log."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from huzhu.audit.models import AuditEvent
from huzhu.members.services import reveal_identity
from tests.conftest import sign_in


def audit_page(client, **query):
    response = client.get(reverse("console:audit"), query)
    assert response.status_code == 200
    return response.content.decode()


def rows(html):
    return html.split("<tbody>")[1].split("</tbody>")[0]


@pytest.mark.django_db
def test_s3_the_audit_page_shows_actions_in_chinese(client, people):
    reveal_identity(actor=people.hutang_admin, member=people.member)
    sign_in(client, people.district_admin)
    html = rows(audit_page(client))
    assert "查看完整信息" in html and "登记职工" in html
    assert ">member.reveal<" not in html


@pytest.mark.django_db
def test_s3_the_audit_page_filters_by_the_chinese_action_name(client, people):
    reveal_identity(actor=people.hutang_admin, member=people.member)
    sign_in(client, people.district_admin)
    html = rows(audit_page(client, action="查看完整信息"))
    assert "查看完整信息" in html and "登记职工" not in html
    assert "登记职工" in rows(audit_page(client, action="登记"))
    assert "查看完整信息" not in rows(audit_page(client, action="没有这种操作"))


@pytest.mark.django_db
def test_s3_the_audit_page_filters_by_who_and_dates(client, people):
    reveal_identity(actor=people.hutang_admin, member=people.member)
    reveal_identity(actor=people.niutang_admin, member=people.other_member)
    sign_in(client, people.district_admin)
    mine = rows(audit_page(client, who="hutang", action="查看完整信息"))
    assert "张三" in mine and "李四" not in mine
    today = timezone.localdate()  # days are Asia/Shanghai days
    day = datetime.timedelta(days=1)
    assert "张三" in rows(audit_page(client, since=today.isoformat(), until=today.isoformat()))
    assert "张三" not in rows(audit_page(client, since=(today + day).isoformat()))
    assert "张三" not in rows(audit_page(client, until=(today - day).isoformat()))


@pytest.mark.django_db
def test_a_bad_date_in_the_audit_filter_is_a_message_naming_the_field(client, people):
    sign_in(client, people.district_admin)
    html = audit_page(client, since="2022-13-45")
    assert "起始日期：" in html


@pytest.mark.django_db
def test_audit_pages_keep_the_filter(client, people):
    for index in range(55):
        AuditEvent.objects.create(action="member.reveal", actor_label="hutang", summary=f"#{index}")
    sign_in(client, people.district_admin)
    html = audit_page(client, action="查看完整信息")
    assert "action=%E6%9F%A5%E7%9C%8B%E5%AE%8C%E6%95%B4%E4%BF%A1%E6%81%AF&amp;page=2" in html


@pytest.mark.django_db
def test_s0_every_page_an_auditor_opens_is_logged_without_the_query(client, people):
    sign_in(client, people.auditor)
    client.get(reverse("console:dashboard"), {"year": 2022})
    client.get(reverse("console:members"), {"q": "1234"})
    client.get(reverse("console:member", args=[people.member.pk]))
    client.get(reverse("console:users"))  # refused, and still logged
    views = AuditEvent.objects.filter(action="page.view", actor_user=people.auditor).order_by("id")
    assert [v.summary for v in views] == [
        reverse("console:dashboard"),
        reverse("console:members"),
        reverse("console:member", args=[people.member.pk]),
        reverse("console:users"),
    ]
    assert views[1].data == {"method": "GET", "params": ["q"], "status": 200}
    assert views[3].data["status"] == 403
    assert "1234" not in str(list(views.values_list("summary", "data")))
    assert "查看页面" in rows(audit_page(client, action="查看页面"))


@pytest.mark.django_db
def test_page_views_of_other_roles_are_not_logged(client, people):
    sign_in(client, people.district_admin)
    client.get(reverse("console:dashboard"))
    sign_in(client, people.hutang_admin)
    client.get(reverse("console:members"))
    assert not AuditEvent.objects.filter(action="page.view").exists()


@pytest.mark.django_db
def test_s0_an_auditors_unknown_addresses_and_wrong_methods_are_logged_too(client, people):
    sign_in(client, people.auditor)
    assert client.get("/console/nonexistent/", {"q": "320412"}).status_code == 404
    assert client.get(reverse("console:logout")).status_code == 405
    assert client.get(reverse("console:member_reveal", args=[people.member.pk])).status_code == 405
    assert client.get(reverse("console:members"), {"q": "a\x00b"}).status_code == 400
    views = AuditEvent.objects.filter(action="page.view", actor_user=people.auditor).order_by("id")
    assert [(v.summary, v.data["status"]) for v in views] == [
        ("/console/nonexistent/", 404),
        (reverse("console:logout"), 405),
        (reverse("console:member_reveal", args=[people.member.pk]), 405),
        (reverse("console:members"), 400),
    ]
    assert views[0].data["params"] == ["q"]
    assert "320412" not in str(list(views.values_list("summary", "data")))


@pytest.mark.django_db
def test_s3_the_audit_page_names_objects_in_chinese_and_keeps_the_stored_type(client, people):
    reveal_identity(actor=people.hutang_admin, member=people.member)
    sign_in(client, people.district_admin)  # a sign-in row about a staff user
    html = rows(audit_page(client))
    assert f"职工 {people.member.pk}" in html
    assert f"工作人员 {people.district_admin.pk}" in html
    assert "members.member</td>" not in html and ">accounts.user " not in html
    assert 'title="members.member"' in html  # the stored value, on hover
    event = AuditEvent.objects.get(action="member.reveal")
    assert event.object_type == "members.member"
