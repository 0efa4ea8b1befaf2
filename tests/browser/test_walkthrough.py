"""Staff and members as a browser sees them; screenshots go to artifacts/screenshots/."""

import re
from importlib import resources

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.management.commands.totp import current_code
from huzhu.members.sms import OutboxSender
from huzhu.org.rules import parse_target_table
from huzhu.org.services import import_targets
from huzhu.tabular import read_rows
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def targets(tree):
    content = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()
    parsed = parse_target_table(read_rows(content, "t.csv"))
    names = {row.unit_name for row in parsed.rows}
    return import_targets(actor=None, parsed=parsed, create_units=names)


def staff_sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_town_admin_signs_in_and_reads_the_dashboard(new_page, live_server, people, targets):
    page = new_page()
    staff_sign_in(page, live_server, "hutang")
    page.get_by_role("heading", name=re.compile("目标任务进度")).wait_for()
    page.select_option("#year", "2021")
    page.wait_for_url(re.compile(r"year=2021"))
    table = page.locator("#progress")
    assert "湖塘镇" in table.inner_text() and "63.82%" in table.inner_text()
    assert "牛塘镇" not in table.inner_text()
    screenshot(page, "console-dashboard-town-desktop")

    page.get_by_role("link", name="职工", exact=True).click()
    page.get_by_role("link", name="张三").click()
    assert "138****5678" in page.locator("#identity").inner_text()
    page.get_by_role("button", name="显示完整信息（将记录）").click()
    page.get_by_text("13812345678").wait_for()
    assert "本次查看已记入审计日志" in page.locator("#identity").inner_text()


def test_district_admin_passes_the_second_factor(new_page, live_server, people, targets):
    page = new_page()
    staff_sign_in(page, live_server, "district")
    page.get_by_label("验证码").fill(
        current_code(TOTPDevice.objects.get(user=people.district_admin))
    )
    page.get_by_role("button", name="验证").click()
    page.select_option("#year", "2021")
    page.wait_for_url(re.compile(r"year=2021"))
    assert page.locator("#chart .hbar-fill").count() == 28  # every unit with a target
    assert "59.64%" in page.locator("#progress").inner_text()
    screenshot(page, "console-dashboard-district-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "console-dashboard-district-phone")
    page.get_by_role("link", name="目标任务", exact=True).click()
    assert "82200" in page.locator("#report").inner_text()
    page.set_viewport_size(DESKTOP)
    screenshot(page, "console-targets-desktop")
    page.get_by_role("link", name="年度政策", exact=True).click()
    page.get_by_role("link", name="2022").click()
    assert "100000\t20000" in page.locator("#tiers").inner_text()
    screenshot(page, "console-policy-2022-desktop")


def member_sign_in(new_page, live_server, phone_number: str):
    """A member signs in on a phone with the code texted to them; returns the page."""
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/m/login/")
    page.get_by_label("手机号码").fill(phone_number)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("若该手机号已登记").wait_for()
    code = re.search(r"\d{6}", OutboxSender.outbox[-1][1]).group()
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("我的参保").first.wait_for()
    return page


def test_member_signs_in_with_a_code_on_a_phone(new_page, live_server, people):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/m/")
    screenshot(page, "portal-login-phone")
    page.get_by_label("手机号码").fill("138 1234 5678")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("若该手机号已登记").wait_for()
    code = re.search(r"\d{6}", OutboxSender.outbox[-1][1]).group()
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("我的参保").wait_for()
    assert "张三" in page.content()
    screenshot(page, "portal-home-phone")
    page.get_by_role("link", name="我的", exact=True).click()
    assert "138****5678" in page.content() and "李四" not in page.content()
    screenshot(page, "portal-me-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "portal-me-desktop")


def test_member_fills_the_calculator_on_a_phone(new_page, live_server):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/m/calc/")
    page.get_by_label("入院日期").first.fill("2022-03-01")
    page.get_by_label("医保结算单上的个人自理（元）").first.fill("6200")
    # One stay on the page; the second is added in the browser from the page's template.
    assert page.locator("details.stay").count() == 1
    page.get_by_role("button", name="再添加一次住院").click()
    assert page.locator("summary", has_text="第 2 次住院").is_visible()
    assert page.locator('input[name="stay-TOTAL_FORMS"]').input_value() == "2"
    page.get_by_label("入院日期").nth(1).fill("2022-08-15")
    assert not page.get_by_label("交通事故：住院总费用（元）").nth(1).is_visible()
    page.get_by_label("住院原因").nth(1).select_option("traffic_accident")
    page.get_by_label("交通事故：住院总费用（元）").nth(1).fill("10000")
    page.get_by_label("交通事故：本人责任比例（%）").nth(1).fill("50")
    page.locator("summary", has_text="第 2 次住院").scroll_into_view_if_needed()
    screenshot(page, "portal-calculator-second-stay-phone")
    page.get_by_role("button", name="试算").click()
    result = page.locator("#result")
    result.wait_for()
    # 6200 + 54.5% × 10000 × 50% = 8925 → the 5,000 tier: 1000 yuan
    assert "1000.00" in result.locator(".amount").inner_text()
    assert "全年累计个人自理 8925.00 元" in result.inner_text()
    assert "第 2 次住院（2022-08-15 入院）" in result.inner_text()
    result.scroll_into_view_if_needed()
    screenshot(page, "portal-calculator-phone")

    page.get_by_text("工伤补助").click()
    assert page.get_by_label("工伤发生日期").is_visible()
    assert not page.get_by_label("入院日期").first.is_visible()
