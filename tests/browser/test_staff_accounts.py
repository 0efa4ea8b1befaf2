"""A new finance user as a browser sees it: the district admin hands over an enrolment code,
the user enrols an authenticator with it and replaces the initial password (SPEC S4)."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.management.commands.totp import current_code
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INITIAL = "initial-password-2022"


def sign_in(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_a_new_finance_user_enrols_with_the_code_the_admin_handed_over(
    new_page, live_server, people, tree
):
    admin = new_page()
    sign_in(admin, live_server, "district")
    admin.get_by_label("验证码").fill(
        current_code(TOTPDevice.objects.get(user=people.district_admin))
    )
    admin.get_by_role("button", name="验证").click()
    admin.get_by_role("link", name="用户", exact=True).click()
    admin.get_by_label("用户名").fill("cashier")
    admin.get_by_label("角色").select_option("finance")
    admin.get_by_label("单位").select_option(label=str(tree.district))
    admin.get_by_label("初始密码").fill(INITIAL)
    admin.get_by_role("button", name="创建").click()
    handover = admin.locator("#handover")
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", handover.inner_text()).group()
    screenshot(admin, "console-users-handover-desktop")
    admin.set_viewport_size(PHONE)
    screenshot(admin, "console-users-phone")

    user = new_page(PHONE, mobile=True)
    sign_in(user, live_server, "cashier", INITIAL)
    user.get_by_label("绑定码").wait_for()
    assert user.locator("svg").count() == 0
    screenshot(user, "console-enrolment-code-phone")
    user.get_by_label("绑定码").fill(code)
    user.get_by_role("button", name="继续").click()
    user.locator("svg").first.wait_for()
    screenshot(user, "console-enrolment-scan-phone")
    device = TOTPDevice.objects.get(user__username="cashier", confirmed=False)
    user.get_by_label("验证码").fill(current_code(device))
    user.get_by_role("button", name="验证").click()

    user.get_by_text("请先设置自己的密码").wait_for()
    screenshot(user, "console-password-change-phone")
    user.get_by_label("旧密码").fill(INITIAL)
    user.get_by_label("新密码", exact=True).fill("cashier-own-password-2022")
    user.get_by_label("新密码确认").fill("cashier-own-password-2022")
    user.get_by_role("button", name="修改密码").click()
    user.get_by_text("密码已修改。").wait_for()


def test_the_member_form_checkbox_sits_beside_its_label(new_page, live_server, people):
    page = new_page(PHONE, mobile=True)
    sign_in(page, live_server, "hutang")
    page.goto(f"{live_server.url}/console/members/new/")
    box = page.get_by_label("已参加基本医保").bounding_box()
    label = page.locator("label.check span", has_text="已参加基本医保").bounding_box()
    # One line: the box is left of the words and vertically centred on them.
    assert box["x"] + box["width"] <= label["x"] + 1
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 4
    screenshot(page, "console-member-new-phone")
