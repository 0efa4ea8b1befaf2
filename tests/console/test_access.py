"""SPEC S1 through the pages: staff see their unit's subtree; another unit's record is 404."""

import pytest
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.members.models import Member
from huzhu.org.models import Target
from tests.conftest import add_member, sign_in


def page(client, name, *args, **query):
    response = client.get(reverse(name, args=args), query)
    return response, response.content.decode()


@pytest.mark.django_db
def test_s1_town_admin_sees_own_members_and_not_the_other_towns(client, people):
    sign_in(client, people.hutang_admin)
    response, html = page(client, "console:members")
    assert response.status_code == 200
    assert "张三" in html and "李四" not in html
    assert page(client, "console:member", people.member.pk)[0].status_code == 200
    assert page(client, "console:member", people.other_member.pk)[0].status_code == 404


@pytest.mark.django_db
def test_s1_other_town_admin_sees_nothing_of_hutang(client, people):
    sign_in(client, people.niutang_admin)
    _, html = page(client, "console:members")
    assert "李四" in html and "张三" not in html
    assert page(client, "console:member", people.member.pk)[0].status_code == 404
    _, units = page(client, "console:units")
    assert "牛塘镇丙公司工会" in units and "湖塘镇" not in units
    reveal = client.post(reverse("console:member_reveal", args=[people.member.pk]))
    assert reveal.status_code == 404
    assert not AuditEvent.objects.filter(action="member.reveal").exists()


@pytest.mark.django_db
def test_s1_grassroots_clerk_sees_only_own_union(client, people, tree):
    add_member(tree.hutang_union_b)
    sign_in(client, people.hutang_clerk)
    _, html = page(client, "console:members")
    assert "张三" in html and "王五" not in html and "李四" not in html


@pytest.mark.django_db
def test_s1_district_and_auditor_see_everyone(client, people):
    for user in (people.district_admin, people.auditor):
        sign_in(client, user)
        _, html = page(client, "console:members")
        assert "张三" in html and "李四" in html


@pytest.mark.django_db
def test_dashboard_lists_only_units_in_scope(client, people, tree):
    Target.objects.create(unit=tree.hutang, year=2021, target=6000, imported_completed=3829)
    Target.objects.create(unit=tree.niutang, year=2021, target=2500, imported_completed=1491)
    sign_in(client, people.hutang_admin)
    _, html = page(client, "console:dashboard", year=2021)
    assert "63.82%" in html and "59.64%" not in html
    sign_in(client, people.district_admin)
    _, html = page(client, "console:dashboard", year=2021)
    assert "63.82%" in html and "59.64%" in html


@pytest.mark.django_db
def test_s2_lists_show_masked_numbers_and_full_view_is_logged(client, people):
    sign_in(client, people.hutang_admin)
    _, html = page(client, "console:member", people.member.pk)
    assert "138****5678" in html and "13812345678" not in html
    response = client.post(reverse("console:member_reveal", args=[people.member.pk]))
    assert "13812345678" in response.content.decode()
    event = AuditEvent.objects.get(action="member.reveal")
    assert event.actor_user == people.hutang_admin


@pytest.mark.django_db
def test_audit_log_page_is_for_district_and_auditors_only(client, people):
    sign_in(client, people.hutang_admin)
    assert page(client, "console:audit")[0].status_code == 403
    sign_in(client, people.auditor)
    assert page(client, "console:audit")[0].status_code == 200


@pytest.mark.django_db
def test_auditor_cannot_import_targets(client, people, tmp_path):
    sign_in(client, people.auditor)
    response = client.post(reverse("console:targets_import"))
    assert response.status_code == 403


@pytest.mark.django_db
def test_signed_out_visitor_is_sent_to_sign_in(client, people):
    response = client.get(reverse("console:members"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


@pytest.mark.django_db
def test_member_list_query_count_does_not_grow_with_members(
    client, people, tree, django_assert_max_num_queries
):
    sign_in(client, people.hutang_admin)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("console:members"))
    for index in range(20):
        add_member(tree.hutang_union_b, union_card=f"62316600000001{index:05d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("console:members"))


@pytest.mark.django_db
def test_member_list_pages_keep_the_search(client, people, tree):
    for index in range(55):
        add_member(tree.hutang_union_b, name="王五", union_card=f"62316600000002{index:05d}")
    sign_in(client, people.hutang_admin)
    html = client.get(reverse("console:members"), {"q": "王五"}).content.decode()
    assert html.count("王五</a>") == 50
    last = Member.objects.filter(name="王五").order_by("id")[49]
    assert f"?q=%E7%8E%8B%E4%BA%94&amp;after={last.pk}" in html
    second = client.get(reverse("console:members"), {"q": "王五", "after": last.pk})
    assert second.content.decode().count("王五</a>") == 5


@pytest.mark.django_db
@pytest.mark.parametrize("page_name", ["console:dashboard", "console:units", "console:targets"])
def test_overview_pages_do_not_grow_queries_with_units(
    client, people, tree, page_name, django_assert_max_num_queries
):
    from huzhu.org.models import UnitKind
    from huzhu.org.services import create_unit

    Target.objects.create(unit=tree.hutang, year=2022, target=6000)
    sign_in(client, people.district_admin)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse(page_name), {"year": 2022})
    for index in range(15):
        town = create_unit(
            actor=None,
            name=f"新镇{index}",
            kind=UnitKind.ORGANIZING,
            parent=tree.district,
            position=30 + index,
        )
        Target.objects.create(unit=town, year=2022, target=100 + index)
        create_unit(actor=None, name=f"新镇{index}工会", kind=UnitKind.GRASSROOTS, parent=town)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse(page_name), {"year": 2022})
