"""An organizing unit's admin splits its target among its grassroots unions at desktop
width and sees the rows, the warning and the weekly trend (SPEC T3, T4)."""

import datetime

import pytest

from huzhu.dates import SCHEME_ZONE
from huzhu.enrollment.models import EnrollmentChange
from huzhu.org.models import Target, UnionTarget
from tests.browser.conftest import DESKTOP, screenshot
from tests.conftest import sign_in
from tests.org.test_union_targets import paid_members

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_org_admin_splits_the_target_and_sees_the_rows(new_page, live_server, client, people):
    tree_hutang = people.hutang_admin.unit
    Target.objects.create(unit=tree_hutang, year=2022, target=10)
    unions = list(tree_hutang.children.order_by("position", "name"))
    for week, union in enumerate(unions):
        ids = paid_members(union, 2 + week, start=week * 10)
        EnrollmentChange.objects.filter(enrollment_id__in=ids, to_state="paid").update(
            changed_at=datetime.datetime(2021, 11, 2 + 7 * week, 10, tzinfo=SCHEME_ZONE)
        )
    sign_in(client, people.hutang_admin)
    page = new_page(DESKTOP)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("link", name="分解任务到基层工会").click()
    page.get_by_label(f"{unions[0].name} 任务数").fill("3")
    page.get_by_label(f"{unions[1].name} 任务数").fill("3")
    page.get_by_role("button", name="保存分解").click()
    page.wait_for_selector("text=各基层工会的任务数已保存")
    rows = page.locator("#union-rows tbody tr")
    assert rows.nth(0).locator("td").nth(3).inner_text() == "66.67%"  # 2 of 3 (T4 half-up)
    assert rows.nth(1).locator("td").nth(3).inner_text() == "100.00%"  # 3 paid of 3
    assert "低于区总工会下达的任务数 10" in page.locator("#share-warning").inner_text()
    assert page.locator("#trend-chart rect").count() == 2
    assert page.locator("#trend tbody tr").last.locator("td").nth(3).inner_text() == "5"
    assert dict(UnionTarget.objects.values_list("unit__name", "target")) == {
        unions[0].name: 3,
        unions[1].name: 3,
    }
    screenshot(page, "console-union-targets-desktop")
