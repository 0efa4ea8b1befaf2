"""Deduction feedback as people see it (SPEC D8): a batch answered by the simulated bank,
湖塘镇's admin reads the failure and its reason, and the member reads it on a phone."""

import re

import pytest

from huzhu.bank.simulated_bank import answer_deduction_file
from huzhu.enrollment.models import Enrollment, State
from huzhu.members import crypto
from huzhu.members.sms import OutboxSender
from huzhu.payments.feedback import notify_failures
from huzhu.payments.services import apply_result, create_batch, request_content
from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_walkthrough import member_sign_in, staff_sign_in
from tests.payments.helpers import signed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_d8_the_town_admin_and_the_member_on_a_phone_see_the_failure_and_what_to_do(
    new_page, live_server, people, tree
):
    import datetime

    from huzhu.enrollment import services as enrollment_services

    poor = enrollment_services.sign(
        member=people.member,
        year=2022,
        channel="paper",
        signed_on=datetime.date(2021, 11, 1),
        source="console",
        actor=None,
    ).enrollment
    fine = signed(tree.hutang_union_b, "王丙")
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    card = crypto.decrypt(people.member.union_card_encrypted)
    result = answer_deduction_file(request_content(batch), failures={card: "余额不足"})
    apply_result(content=result, actor=None)
    assert Enrollment.objects.get(pk=poor.pk).state == State.FAILED
    assert Enrollment.objects.get(pk=fine.pk).state == State.PAID
    assert notify_failures(batch).sent == 1
    assert "余额不足" in OutboxSender.outbox[-1][1]

    page = new_page()
    staff_sign_in(page, live_server, "hutang")
    page.get_by_role("link", name="扣款反馈").first.click()
    page.get_by_role("heading", name=re.compile("扣款反馈")).wait_for()
    row = page.locator(f"#feedback-{poor.pk}")
    text = row.inner_text()
    assert "张三" in text and "余额不足" in text and "下次批量扣款重试" in text
    assert people.member.id_number_masked in text
    assert "王丙" not in page.locator("#feedback").inner_text()
    assert "湖塘镇甲公司工会" in page.locator("#feedback-counts").inner_text()
    screenshot(page, "console-deduction-feedback-desktop")

    phone = member_sign_in(new_page, live_server, "13812345678")
    phone.goto(f"{live_server.url}/m/enrollments/")
    card_text = phone.locator(f"#enrollment-{poor.pk}").inner_text()
    assert "扣款失败" in card_text and "余额不足" in card_text
    assert "下次扣款前" in card_text and "银行App" in card_text
    screenshot(phone, "portal-deduction-failed-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
