"""A wrong method is the app's own answer: a Chinese page with a way back in the console,
JSON {"code", "message"} under /api/, the Allow header kept (Django's and django-ninja's
own 405s are an empty page and "Method not allowed" as text/html)."""

import json

import pytest
from django.urls import reverse

from huzhu.members.services import request_correction
from tests.conftest import sign_in
from tests.rosters.review_helpers import make_roster
from tests.test_persona_matrix import MATRIX, _batch, _claim, _payout_batch, _recovery, _refund


@pytest.mark.django_db
def test_a_get_of_sign_out_is_a_chinese_page_with_a_way_back(client, people):
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:logout"))
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "无法以这种方式打开此页面" in html and "请返回并使用页面上的按钮" in html
    assert 'href="/console/"' in html and "返回控制台首页" in html


@pytest.mark.django_db
def test_a_get_of_a_console_action_is_the_apps_405(client, people):
    sign_in(client, people.district_admin)
    response = client.get(reverse("console:user_disable", args=[people.hutang_clerk.pk]))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "无法以这种方式打开此页面" in response.content.decode()
    people.hutang_clerk.refresh_from_db()
    assert people.hutang_clerk.is_active


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("get", "/api/v1/calculator", "POST"), ("put", "/api/v1/health", "GET")],
)
def test_an_api_405_is_json_with_the_allow_header(client, method, path, allow):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == allow
    body = json.loads(response.content)
    assert body["code"] == "method_not_allowed"
    assert "请求方法" in body["message"]


@pytest.mark.django_db
def test_every_post_only_console_page_answers_a_get_with_the_apps_405(client, people, tree):
    args = {None: [], "member": [people.member.pk], "user": [people.hutang_clerk.pk]}
    args["unit"] = [tree.hutang_union_b.pk]
    args["organizing"] = [tree.hutang.pk]
    args["roster"] = [make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk).pk]
    args["checked_roster"] = args["roster"]  # the method is refused before any lookup
    args["correction"] = [
        request_correction(member=people.member, field="name", text="名字写错了").pk
    ]
    # The finance pages answer GET too; their arguments are here for any POST-only one.
    args["batch"] = [_batch(people).pk]
    args["refund"] = [_refund(people).pk]
    claim = _claim(people)
    args["claim"] = [claim.pk]
    args["recovery"] = [_recovery(people, claim).pk]
    args["payout_batch"] = [_payout_batch(people).pk]
    get_pages = {name for method, name, _, _ in MATRIX if method == "GET"}
    post_only = [
        (name, argument)
        for method, name, argument, _ in MATRIX
        if method == "POST" and name not in get_pages and name.startswith("console:")
    ]
    assert len(post_only) > 10
    sign_in(client, people.district_admin)
    for name, argument in post_only:
        response = client.get(reverse(name, args=args[argument]))
        assert response.status_code == 405, name
        assert "POST" in response["Allow"], name
        assert "无法以这种方式打开此页面" in response.content.decode(), name
