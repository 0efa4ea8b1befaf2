"""The error pages as a browser shows them, on a desktop and on a phone; screenshots go to
artifacts/screenshots/error-*.png."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.error_urls"),
]

PAGES = [
    ("console/suspicious/", 400, "无法处理这个请求", "返回控制台首页"),
    ("m/forbidden/", 403, "没有权限访问此页面", "返回首页"),
    ("console/no-such-page/", 404, "页面不存在", "返回控制台首页"),
    ("m/no-such-page/", 404, "页面不存在", "返回首页"),
    ("console/boom/", 500, "系统出错了", "返回控制台首页"),
    ("m/boom/", 500, "系统出错了", "返回首页"),
]


@pytest.mark.parametrize(("path", "status", "title", "back"), PAGES)
def test_error_page_in_chinese_with_a_way_back(new_page, live_server, path, status, title, back):
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(viewport, mobile=viewport is PHONE)
        response = page.goto(f"{live_server.url}/{path}")
        assert response.status == status
        assert page.get_by_role("heading", name=title).is_visible()
        assert page.locator(".error-status").inner_text() == str(status)
        front = "portal" if path.startswith("m/") else "console"
        screenshot(page, f"error-{status}-{front}-{size}")
        page.get_by_role("link", name=back).click()
        expected = "/m/" if front == "portal" else "/console/"
        assert page.url.startswith(f"{live_server.url}{expected}")


@pytest.mark.parametrize("front", ["console", "m"])
def test_a_form_sent_without_its_csrf_cookie_shows_the_expired_page(new_page, live_server, front):
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(viewport, mobile=viewport is PHONE)
        page.goto(f"{live_server.url}/{front}/login/")
        page.context.clear_cookies()  # as after the session and its cookie expired
        if front == "console":
            page.get_by_label("用户名").fill("hutang")
            page.get_by_label("密码").fill("a password")
        else:
            page.get_by_label("手机号码").fill("13812345678")
        page.locator("form[method=post] button[type=submit]").first.click()
        page.get_by_role("heading", name="页面已过期").wait_for()
        name = "portal" if front == "m" else "console"
        screenshot(page, f"error-csrf-{name}-{size}")
