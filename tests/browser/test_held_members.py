"""An organizing-unit admin assigns a member who signed online to a grassroots union
(SPEC §7a)."""

import pytest

from huzhu.enrollment.models import Enrollment
from huzhu.members.models import Member
from huzhu.members.selectors import member_count_drift
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.test_member_records import _with_session
from tests.conftest import sign_in
from tests.enrollment.test_held import held

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_assigns_a_held_member_to_a_union(new_page, live_server, client, people, tree):
    member = held(tree.hutang)
    held(tree.hutang, name="钱七", card="6231660000000007778", phone="13600001235")
    sign_in(client, people.hutang_admin)
    page = new_page(DESKTOP)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/")
    page.locator("#held-link").click()
    page.wait_for_selector("#held-list")
    listing = page.locator("#held-list").inner_text()
    assert "赵六" in listing and "136****1234" in listing and "湖塘镇丁公司" in listing
    page.check(f"#held-{member.pk}")
    page.select_option("#unit", label="湖塘镇 · 湖塘镇甲公司工会")
    screenshot(page, "console-held-assign-desktop")
    page.locator("#assign").click()
    page.wait_for_selector("#held-list")
    listing = page.locator("#held-list").inner_text()
    assert "赵六" not in listing and "钱七" in listing
    assert "已分配到湖塘镇甲公司工会" in page.content()
    screenshot(page, "console-held-assigned-desktop")
    member.refresh_from_db()
    assert member.unit == tree.hutang_union
    assert Enrollment.objects.get(member=member).grassroots_union == tree.hutang_union
    assert Member.objects.filter(unit=tree.hutang).count() == 1
    assert member_count_drift() == {}
