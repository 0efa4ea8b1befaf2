"""SPEC S4: members sign in with phone number and a one-time code, rate-limited."""

import re

import pytest
from django.urls import reverse

from huzhu.members.models import LoginCode
from huzhu.members.sms import OutboxSender


@pytest.fixture
def ask_code(client, django_capture_on_commit_callbacks):
    def ask(phone="13812345678"):
        # The text message leaves only once the code is committed.
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("portal:login"), {"phone": phone, "action": "send"})

    return ask


def last_code() -> str:
    return re.search(r"\d{6}", OutboxSender.outbox[-1][1]).group()


@pytest.mark.django_db
def test_member_signs_in_with_a_code_and_sees_own_masked_details(client, people, ask_code):
    response = ask_code("+86 138-1234-5678")
    assert "若该手机号已登记" in response.content.decode()  # not the form's own label
    assert OutboxSender.outbox[-1][0] == "13812345678"
    client.post(
        reverse("portal:login"), {"phone": "13812345678", "code": last_code(), "action": "verify"}
    )
    html = client.get(reverse("portal:me")).content.decode()
    assert "张三" in html and "138****5678" in html and "李四" not in html
    assert "13812345678" not in html


@pytest.mark.django_db
def test_wrong_code_is_refused(client, people, ask_code):
    ask_code()
    response = client.post(
        reverse("portal:login"), {"phone": "13812345678", "code": "12345x", "action": "verify"}
    )
    assert "验证码错误或已过期" in response.content.decode()
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_a_code_is_locked_after_five_wrong_tries(client, people, ask_code):
    ask_code()
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(
            reverse("portal:login"), {"phone": "13812345678", "code": wrong, "action": "verify"}
        )
    client.post(reverse("portal:login"), {"phone": "13812345678", "code": code, "action": "verify"})
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_codes_are_rate_limited_per_phone(client, people, ask_code):
    ask_code()
    second = ask_code()
    assert "请稍候" in second.content.decode()
    assert len(OutboxSender.outbox) == 1


@pytest.mark.django_db
def test_an_unknown_phone_gets_the_same_answer_and_no_message(client, people, ask_code):
    response = ask_code("13700000000")
    assert "若该手机号已登记" in response.content.decode()
    assert OutboxSender.outbox == []


@pytest.mark.django_db
def test_a_landline_is_refused_with_a_message(client, people, ask_code):
    response = ask_code("0519-86123456")
    assert "固定电话" in response.content.decode()
    assert not LoginCode.objects.exists()


@pytest.mark.django_db
def test_codes_are_stored_hashed(client, people, ask_code):
    ask_code()
    row = LoginCode.objects.get()
    assert last_code() not in row.code_hash
