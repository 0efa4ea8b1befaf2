"""Errors answer with the app's own pages (Chinese, with a way back), JSON under /api/, and
every unhandled exception lands in the log with its traceback."""

import io
import json
import logging

import pytest
from django.test import Client

from huzhu.accounts.roles import Role
from tests.conftest import make_user, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


@pytest.fixture
def error_log():
    """What the configured handler of `django.request` writes (stderr in production)."""
    handler = logging.getLogger("django.request").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def quiet_client():
    # The test client re-raises view exceptions by default; a browser gets the 500 page.
    return Client(raise_request_exception=False)


def html_of(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_an_unhandled_error_is_logged_with_its_traceback(quiet_client, error_log):
    response = quiet_client.get("/console/boom/")
    assert response.status_code == 500
    logged = error_log.getvalue()
    assert "Internal Server Error: /console/boom/" in logged
    assert "Traceback (most recent call last)" in logged
    assert "RuntimeError: boom raised on purpose by the test" in logged


def test_the_500_page_is_chinese_styled_and_leads_back_to_the_console(quiet_client, error_log):
    html = html_of(quiet_client.get("/console/boom/"))
    assert "系统出错了" in html and "错误已记录，请稍后再试。" in html
    assert 'href="/console/"' in html and "返回控制台首页" in html
    assert "huzhu/app.css" in html
    assert "Server Error" not in html and "boom" not in html


def test_the_500_page_reads_nothing_from_the_database(
    quiet_client, error_log, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = quiet_client.get("/console/boom/")
    assert response.status_code == 500 and "系统出错了" in html_of(response)


def test_the_500_page_under_the_portal_leads_back_to_the_portal(quiet_client, error_log):
    html = html_of(quiet_client.get("/m/boom/"))
    assert 'class="portal"' in html
    assert 'href="/m/"' in html and "返回首页" in html
    assert "/console/" not in html


def test_an_api_error_answers_json_not_html(quiet_client, error_log):
    response = quiet_client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "code": "server_error",
        "message": "错误已记录，请稍后再试。",
    }
    assert "RuntimeError: boom raised on purpose by the test" in error_log.getvalue()


def test_an_unknown_console_page_is_the_apps_404(client):
    response = client.get("/console/no-such-page/")
    assert response.status_code == 404
    html = html_of(response)
    assert "页面不存在" in html and 'href="/console/"' in html
    assert "Not Found" not in html


def test_an_unknown_portal_page_leads_back_to_the_portal(client):
    response = client.get("/m/no-such-page/")
    assert response.status_code == 404
    html = html_of(response)
    assert 'href="/m/"' in html and "该页面不存在。" in html
    assert "单位" not in html  # a member is not told about units


def test_an_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "not_found"


def test_s1_a_page_the_role_may_not_open_is_the_apps_403(client, tree):
    clerk = make_user("clerk", Role.GRASSROOTS_CLERK, tree.hutang_union)
    sign_in(client, clerk)
    response = client.get("/console/users/")
    assert response.status_code == 403
    html = html_of(response)
    assert "没有权限访问此页面" in html and "返回控制台首页" in html
    assert "Forbidden" not in html


def test_a_refusal_in_the_portal_is_the_apps_403(client):
    response = client.get("/m/forbidden/")
    assert response.status_code == 403 and 'href="/m/"' in html_of(response)


def test_a_bad_request_is_the_apps_400(client):
    # A Host header outside ALLOWED_HOSTS is refused with 400 (and logged as a security event).
    response = client.get("/console/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    html = html_of(response)
    assert "无法处理这个请求" in html and "Bad Request" not in html


def test_a_failed_csrf_check_is_the_apps_page_not_djangos(tree):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/console/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = html_of(response)
    assert "页面已过期" in html and "请返回并刷新页面" in html
    assert "CSRF" not in html


def test_a_failed_csrf_check_in_the_portal_leads_back_to_the_portal(tree):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/m/login/", {"phone": "13812345678"})
    assert response.status_code == 403
    assert "页面已过期" in html_of(response) and 'href="/m/"' in response.content.decode()
