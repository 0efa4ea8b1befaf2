"""The policy comparison and the calculator's refusals as a browser shows them, desktop and
phone; screenshots go to artifacts/screenshots/."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_walkthrough import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_p4_the_policy_comparison_reads_as_a_table_in_chinese(
    new_page, live_server, people, viewport, name
):
    page = new_page(viewport, mobile=viewport is PHONE)
    staff_sign_in(page, live_server, "hutang")
    page.goto(f"{live_server.url}/console/policies/")
    table = page.locator("#changes")
    assert page.locator("#a option:checked").inner_text() == "2021 v1"
    assert page.locator("#b option:checked").inner_text() == "2022 v1"
    text = table.inner_text()
    assert "保障期限" in text and "2022年1月1日至2022年12月31日" in text
    assert "补助档次" in text and "100000 元起：20000 元" in text
    assert "coverage" not in text and "{" not in text
    assert no_sideways_scroll(page)
    screenshot(page, f"console-policy-comparison-{name}")


def test_the_calculator_names_each_refused_field_on_a_phone(new_page, live_server):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/m/calc/")
    page.get_by_label("入院日期").first.fill("2022-03-01")
    page.get_by_label("住院原因").first.select_option("traffic_accident")
    # What a script could send: the number fields' own checks are out of the way.
    page.evaluate(
        """() => {
          const set = (id, value) => {
            const input = document.getElementById(id);
            input.type = "text";
            input.value = value;
          };
          set("id_stay-0-settled_self_pay", "1e400");
          set("id_stay-0-traffic_total_cost", "-0");
          set("id_stay-0-liability_percent", "sNaN");
          set("id_already_paid", "9".repeat(29));
        }"""
    )
    page.get_by_role("button", name="试算").click()
    page.locator(".errorlist li").first.wait_for()  # the answer page has loaded
    errors = page.locator(".errorlist li").all_inner_texts()
    assert errors == [
        "医保结算单上的个人自理（元）：整数部分最多 12 位。",
        "交通事故：住院总费用（元）：请填写 0 或正数，不带负号。",
        "交通事故：本人责任比例（%）：请填写 0 到 100 之间的百分数，例如 70。",
        "本年度该项已领补助（元）：整数部分最多 12 位。",
    ]
    assert page.locator("#result").count() == 0
    screenshot(page, "portal-calculator-refusals-phone")
