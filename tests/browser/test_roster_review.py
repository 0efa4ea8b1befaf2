"""An organizing-unit admin checks the grassroots unions' rosters: opens the uploads list,
opens one, approves it, then returns another with a reason; the service agency records the
collection of an approved roster's paper forms (SPEC E6)."""

import pytest

from huzhu.accounts.roles import Role
from huzhu.dates import scheme_today
from huzhu.enrollment.models import State
from huzhu.rosters.models import Review
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.test_member_records import _with_session
from tests.conftest import add_member, make_user, sign_in
from tests.rosters.review_helpers import make_roster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_approves_one_roster_and_returns_another(
    new_page, live_server, client, people, tree
):
    first = make_roster(
        unit=tree.hutang_union,
        uploader=people.hutang_clerk,
        members=[people.member],
        errors=True,
        name="湖塘镇甲公司工会1115.xlsx",
    )
    second = make_roster(
        unit=tree.hutang_union_b,
        uploader=people.hutang_admin,
        members=[add_member(tree.hutang_union_b, name="钱七", union_card="6231660000000007778")],
        name="湖塘镇乙公司工会1116.xlsx",
    )
    sign_in(client, people.hutang_admin)
    page = new_page(DESKTOP)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("link", name="参保汇总表", exact=True).click()
    page.wait_for_selector("#rosters")
    assert "待审核 2 份" in page.locator("#awaiting").inner_text()
    screenshot(page, "console-rosters-list-desktop")

    page.get_by_role("link", name="湖塘镇甲公司工会1115.xlsx").first.click()
    page.wait_for_selector("#roster-facts")
    assert people.member.id_number_masked in page.locator("#roster-authorizations").inner_text()
    screenshot(page, "console-roster-awaiting-desktop")
    page.locator("#approve").click()
    page.wait_for_selector(".messages")
    assert "汇总表已审核通过" in page.locator(".messages").inner_text()
    assert "汇总表审核通过" in page.locator("#roster-history").inner_text()
    screenshot(page, "console-roster-approved-desktop")

    page.get_by_role("link", name="← 参保汇总表").click()
    page.get_by_role("link", name="湖塘镇乙公司工会1116.xlsx").click()
    page.wait_for_selector("#review")
    page.locator("#id_reason").fill("第3行职工未签字，请补签后重新上传")
    page.locator("#return").click()
    page.wait_for_selector(".messages")
    assert "汇总表已退回" in page.locator(".messages").inner_text()
    history = page.locator("#roster-history").inner_text()
    assert "第3行职工未签字" in history and "hutang" in history
    screenshot(page, "console-roster-returned-desktop")

    page.get_by_role("link", name="← 参保汇总表").click()
    page.wait_for_selector("#rosters")
    assert "待审核 0 份" in page.locator("#awaiting").inner_text()
    screenshot(page, "console-rosters-reviewed-desktop")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.review, second.review) == (Review.APPROVED, Review.RETURNED)
    assert second.authorizations.get().enrollment.state == State.REVOKED


def test_the_agency_records_the_collection_of_an_approved_rosters_forms(
    new_page, live_server, client, people, tree
):
    roster = make_roster(
        unit=tree.hutang_union,
        uploader=people.hutang_clerk,
        members=[people.member],
        review=Review.APPROVED,
        name="湖塘镇甲公司工会1118.xlsx",
    )
    agency = make_user("agency", Role.AGENCY, tree.district)
    sign_in(client, agency)
    page = new_page(DESKTOP)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/rosters/?review=approved")
    page.get_by_role("link", name="湖塘镇甲公司工会1118.xlsx").click()
    page.wait_for_selector("#collect")
    assert "人保公司" in page.locator("#roster-facts").inner_text()
    page.locator("#id_collected_on").fill(scheme_today().isoformat())
    page.locator("#id_count").fill("2")
    screenshot(page, "console-roster-collect-desktop")
    page.locator("#record-collection").click()
    page.wait_for_selector(".messages")
    messages = page.locator(".messages").inner_text()
    assert "纸质材料收取已登记" in messages and "收取 2 份，但汇总表导入 1 行" in messages
    assert "收取 2 份，登记人 agency" in page.locator("#roster-collection").inner_text()
    assert page.locator("#collect").count() == 0
    screenshot(page, "console-roster-collected-desktop")
    roster.refresh_from_db()
    assert (roster.collected_count, roster.collected_by) == (2, agency)
