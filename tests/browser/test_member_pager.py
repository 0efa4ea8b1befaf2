"""The member list's pager in a browser: next, previous, first page, and the jump to a
grassroots union (the select sends itself)."""

import re

import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_walkthrough import staff_sign_in
from tests.members.test_member_list_scale import add_many

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_town_admin_pages_through_members_and_jumps_to_a_union(new_page, live_server, tree, people):
    add_many(tree.hutang_union, 70)
    add_many(tree.hutang_union_b, 3)
    page = new_page()
    staff_sign_in(page, live_server, "hutang")
    page.goto(f"{live_server.url}/console/members/")
    assert page.locator("#members tbody tr").count() == 50
    assert "74 名职工" in page.locator("#member-count").inner_text()
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"after=\d+"))
    assert page.locator("#members tbody tr").count() == 24
    screenshot(page, "console-members-second-page-desktop")
    page.get_by_role("link", name="上一页").click()
    page.wait_for_url(re.compile(r"before=\d+"))
    assert page.locator("#members tbody tr").count() == 50
    page.select_option("#jump-unit", str(tree.hutang_union_b.pk))
    page.wait_for_url(re.compile(rf"unit={tree.hutang_union_b.pk}"))
    rows = page.locator("#members tbody").inner_text()
    assert rows.count("湖塘镇乙公司工会") == 3 and "湖塘镇甲公司工会" not in rows
    page.set_viewport_size(PHONE)
    screenshot(page, "console-members-jump-phone")
    page.get_by_role("link", name="第一页").click()
    page.wait_for_url(re.compile(r"/console/members/\?$|/console/members/$"))
    assert page.locator("#members tbody tr").count() == 50
