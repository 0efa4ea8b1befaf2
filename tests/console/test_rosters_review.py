"""The roster uploads list and page, approval, return and collection through the console
(SPEC E6, S1, S5)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.audit.models import AuditEvent
from huzhu.dates import scheme_today
from huzhu.enrollment.models import State
from huzhu.files.services import path_of
from huzhu.members.services import reveal_identity
from huzhu.rosters.models import ImportStatus, Review
from huzhu.rosters.services import approve_roster
from tests.conftest import make_user, sign_in
from tests.rosters.review_helpers import make_roster


@pytest.fixture
def roster(tree, people):
    return make_roster(
        unit=tree.hutang_union, uploader=people.hutang_clerk, members=[people.member], errors=True
    )


@pytest.fixture
def agency(tree):
    return make_user("agency", Role.AGENCY, tree.district)


def _page(client, name, *args, **query):
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def _post(client, name, pk, data=None):
    response = client.post(reverse(name, args=[pk]), data or {}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_s1_the_list_shows_the_uploads_in_scope_with_the_awaiting_count(
    client, tree, people, roster
):
    theirs = make_roster(unit=tree.niutang_union, uploader=people.niutang_admin, name="牛塘.csv")
    make_roster(unit=tree.hutang_union_b, uploader=people.hutang_admin, review=Review.APPROVED)
    make_roster(unit=tree.hutang_union_b, uploader=people.hutang_admin, status="importing")
    sign_in(client, people.hutang_admin)
    page = _page(client, "console:rosters")
    assert roster.file.original_name in page
    assert "牛塘.csv" not in page
    assert "待审核 1 份" in page  # the unfinished import is not waiting for anyone yet
    assert "湖塘镇甲公司工会" in page and "hutang_clerk" in page
    sign_in(client, people.niutang_admin)
    page = _page(client, "console:rosters")
    assert theirs.file.original_name in page and roster.file.original_name not in page


def test_the_list_filters_by_year_import_and_approval(client, tree, people, roster):
    approved = make_roster(
        unit=tree.hutang_union_b, uploader=people.hutang_admin, review=Review.APPROVED
    )
    older = make_roster(unit=tree.hutang_union_b, uploader=people.hutang_admin, year=2021)
    sign_in(client, people.hutang_admin)
    page = _page(client, "console:rosters", review="approved")
    assert approved.file.original_name in page and roster.file.original_name not in page
    page = _page(client, "console:rosters", year="2021")
    assert older.file.original_name in page and roster.file.original_name not in page
    page = _page(client, "console:rosters", status="failed")
    assert "没有找到汇总表" in page
    # A value that is not a choice is no filter at all.
    page = _page(client, "console:rosters", review="nonsense", year="20x1")
    assert roster.file.original_name in page and older.file.original_name in page


def _count_queries(client):
    with CaptureQueriesContext(connection) as captured:
        _page(client, "console:rosters")
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_for_3_or_30_uploads(client, tree, people):
    for _ in range(3):
        make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    sign_in(client, people.hutang_admin)
    few = _count_queries(client)
    for _ in range(27):
        make_roster(unit=tree.hutang_union_b, uploader=people.hutang_admin, review="approved")
    assert _count_queries(client) == few


def test_the_list_is_paged(client, tree, people):
    for _ in range(51):
        make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    sign_in(client, people.hutang_admin)
    page = _page(client, "console:rosters")
    assert len(re.findall(r'href="/console/rosters/\d+/"', page)) == 50
    assert "page=2" in page
    second = _page(client, "console:rosters", page="2")
    assert len(re.findall(r'href="/console/rosters/\d+/"', second)) == 1


def test_e6_the_page_shows_the_upload_its_masked_authorizations_and_counts(client, people, roster):
    sign_in(client, people.hutang_clerk)
    page = _page(client, "console:roster", roster.pk)
    assert people.member.id_number_masked in page
    assert people.member.phone_masked in page
    assert "导入 1 行，已参保 0 行，未通过 1 行" in page
    full = reveal_identity(actor=None, member=people.member)
    assert full["id_number"] not in page and full["phone"] not in page  # S2
    assert reverse("console:roster_errors", args=[roster.pk]) in page
    assert reverse("console:roster_file", args=[roster.pk]) in page
    # A clerk sees the page but is offered no approval.
    assert 'id="approve"' not in page


def test_s5_the_roster_file_and_errors_are_downloaded_in_scope_only(client, people, roster):
    sign_in(client, people.hutang_clerk)
    response = client.get(reverse("console:roster_file", args=[roster.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"roster ")
    response = client.get(reverse("console:roster_errors", args=[roster.pk]))
    assert b"".join(response.streaming_content).startswith(b"errors ")
    assert AuditEvent.objects.filter(action="file.download").count() == 2
    sign_in(client, people.niutang_admin)
    for name in ("console:roster", "console:roster_file", "console:roster_errors"):
        assert client.get(reverse(name, args=[roster.pk])).status_code == 404


def test_s5_an_upload_without_errors_has_no_errors_download(client, tree, people):
    clean = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    sign_in(client, people.hutang_admin)
    assert client.get(reverse("console:roster_errors", args=[clean.pk])).status_code == 404


def test_s5_a_roster_file_gone_from_disk_is_410(client, people, roster):
    path_of(roster.file.sha256).unlink()
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:roster_file", args=[roster.pk]))
    assert response.status_code == 410


def test_e6_the_organizing_unit_approves_once_and_a_second_click_is_a_message(
    client, people, roster
):
    sign_in(client, people.hutang_admin)
    page = _page(client, "console:roster", roster.pk)
    assert 'id="approve"' in page
    page = _post(client, "console:roster_approve", roster.pk)
    assert "汇总表已审核通过，其 1 份授权将参加扣款。" in page
    assert "hutang" in page and "汇总表审核通过" in page  # the history row
    page = _post(client, "console:roster_approve", roster.pk)
    assert "该汇总表已审核通过。" in page
    assert AuditEvent.objects.filter(action="roster.approve").count() == 1
    roster.refresh_from_db()
    assert roster.review == Review.APPROVED


def test_e6_a_grassroots_clerk_cannot_approve_their_own_unions_roster(client, people, roster):
    sign_in(client, people.hutang_clerk)
    for name in ("console:roster_approve", "console:roster_return"):
        response = client.post(reverse(name, args=[roster.pk]), {"reason": "甲"})
        assert response.status_code == 403
    roster.refresh_from_db()
    assert roster.review == Review.AWAITING


def test_s1_another_organizing_units_admin_gets_404(client, people, roster):
    sign_in(client, people.niutang_admin)
    for name in ("console:roster_approve", "console:roster_return"):
        response = client.post(reverse(name, args=[roster.pk]), {"reason": "甲"})
        assert response.status_code == 404
    roster.refresh_from_db()
    assert roster.review == Review.AWAITING


def test_e6_the_district_admin_approves_too(client, people, roster):
    sign_in(client, people.district_admin)
    _post(client, "console:roster_approve", roster.pk)
    roster.refresh_from_db()
    assert roster.reviewed_by == people.district_admin


def test_e6_returning_through_the_page(client, people, roster):
    sign_in(client, people.hutang_admin)
    page = _post(client, "console:roster_return", roster.pk, {"reason": ""})
    assert "退回原因：请填写退回原因。" in page
    page = _post(client, "console:roster_return", roster.pk, {"reason": "长" * 501})
    assert "退回原因：最多 500 个字。" in page
    roster.refresh_from_db()
    assert roster.review == Review.AWAITING
    page = _post(client, "console:roster_return", roster.pk, {"reason": "缺少职工签字"})
    assert "汇总表已退回" in page
    assert "缺少职工签字" in page
    enrollment = roster.authorizations.get().enrollment
    enrollment.refresh_from_db()
    assert enrollment.state == State.REVOKED
    page = _post(client, "console:roster_return", roster.pk, {"reason": "再退一次"})
    assert "该汇总表已退回。" in page
    assert AuditEvent.objects.filter(action="roster.return").count() == 1
    page = _post(client, "console:roster_approve", roster.pk)
    assert "不能再审核通过" in page


def test_e6_an_unfinished_import_offers_no_approval_and_refuses_one(client, tree, people):
    failed = make_roster(
        unit=tree.hutang_union, uploader=people.hutang_clerk, status=ImportStatus.FAILED
    )
    sign_in(client, people.hutang_admin)
    assert 'id="approve"' not in _page(client, "console:roster", failed.pk)
    assert "汇总表导入完成后才能审核通过或退回。" in _post(
        client, "console:roster_approve", failed.pk
    )


def test_e6_the_agency_records_the_collection_and_is_warned_of_a_different_count(
    client, people, roster, agency
):
    approve_roster(actor=people.hutang_admin, roster=roster)
    sign_in(client, agency)
    assert 'id="record-collection"' in _page(client, "console:roster", roster.pk)
    today = scheme_today().isoformat()
    page = _post(client, "console:roster_collect", roster.pk, {"collected_on": today, "count": "3"})
    assert "纸质材料收取已登记。" in page
    assert "收取 3 份，但汇总表导入 1 行" in page
    assert f"{today} 收取 3 份，登记人 agency" in page
    page = _post(client, "console:roster_collect", roster.pk, {"collected_on": today, "count": "4"})
    assert "不能再登记" in page
    roster.refresh_from_db()
    assert roster.collected_count == 3


def test_e6_bad_collection_input_is_named_in_chinese(client, people, roster, agency):
    approve_roster(actor=people.hutang_admin, roster=roster)
    sign_in(client, agency)
    tomorrow = (scheme_today() + datetime.timedelta(days=1)).isoformat()
    page = _post(
        client, "console:roster_collect", roster.pk, {"collected_on": "昨天", "count": "x"}
    )
    assert "收取日期：" in page and "份数：" in page
    page = _post(
        client, "console:roster_collect", roster.pk, {"collected_on": tomorrow, "count": 1}
    )
    assert "收取日期：不能晚于今天。" in page
    page = _post(
        client, "console:roster_collect", roster.pk, {"collected_on": tomorrow, "count": 0}
    )
    assert "份数：" in page
    roster.refresh_from_db()
    assert roster.collected_on is None


def test_e6_the_district_admin_is_told_a_towns_forms_go_to_the_agency(client, people, roster):
    approve_roster(actor=people.hutang_admin, roster=roster)
    sign_in(client, people.district_admin)
    assert 'id="record-collection"' not in _page(client, "console:roster", roster.pk)
    today = scheme_today().isoformat()
    page = _post(client, "console:roster_collect", roster.pk, {"collected_on": today, "count": 1})
    assert "该单位的纸质材料交人保公司，由人保公司登记收取。" in page


def test_e6_other_roles_may_not_record_a_collection(client, people, roster):
    approve_roster(actor=people.hutang_admin, roster=roster)
    today = scheme_today().isoformat()
    for user in (people.hutang_admin, people.hutang_clerk, people.auditor):
        sign_in(client, user)
        response = client.post(
            reverse("console:roster_collect", args=[roster.pk]),
            {"collected_on": today, "count": 1},
        )
        assert response.status_code == 403


def test_e6_the_district_admin_sets_the_route_on_the_unit_page(client, tree, people):
    sign_in(client, people.district_admin)
    page = _page(client, "console:unit", tree.hutang.pk)
    assert "纸质材料交至" in page and "人保公司" in page
    response = client.post(
        reverse("console:unit_forms_route", args=[tree.hutang.pk]),
        {"route": "district"},
        follow=True,
    )
    assert "纸质材料去向已保存。" in response.content.decode()
    tree.hutang.refresh_from_db()
    assert tree.hutang.forms_route == "district"
    response = client.post(
        reverse("console:unit_forms_route", args=[tree.hutang.pk]), {"route": "x"}, follow=True
    )
    assert "纸质材料交至：请从两项中选择一项。" in response.content.decode()
