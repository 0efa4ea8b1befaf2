"""Finance runs a collective deduction from the console (SPEC D3–D5, D8, S3): builds 2022's
batch, downloads the request file, hands in the simulated bank's answer with one failure, and
reads each item's outcome on the settled batch; 湖塘镇's admin then finds the failure on the
feedback list, and the member, texted by the apply, reads it on a phone."""

import datetime
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.bank.simulated_bank import answer_deduction_file
from huzhu.enrollment import services as enrollment_services
from huzhu.management.commands.totp import current_code
from huzhu.members import crypto
from huzhu.members.sms import OutboxSender
from huzhu.payments.models import BatchState, DeductionBatch
from tests.browser.conftest import screenshot
from tests.browser.test_job_page import run_worker
from tests.browser.test_walkthrough import member_sign_in, staff_sign_in
from tests.conftest import make_user
from tests.payments.helpers import signed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_d3_d4_d5_d8_finance_applies_a_batch_and_the_town_and_the_member_see_the_failure(
    new_page, live_server, tree, people, tmp_path
):
    finance = make_user("finance", Role.FINANCE, tree.district, second_factor=True)
    signed(tree.hutang_union, "张甲")
    failing = enrollment_services.sign(
        member=people.member,  # 张三, 湖塘镇甲公司工会, phone 13812345678
        year=2022,
        channel="paper",
        signed_on=datetime.date(2021, 11, 1),
        source="console",
        actor=None,
    ).enrollment
    signed(tree.niutang_union, "王丙")
    page = new_page()
    staff_sign_in(page, live_server, "finance")
    page.get_by_label("验证码").fill(current_code(TOTPDevice.objects.get(user=finance)))
    page.get_by_role("button", name="验证").click()

    page.locator("#nav-finance").click()
    page.get_by_role("heading", name="集中扣款批次").wait_for()
    page.fill("#id_year", "2022")
    screenshot(page, "console-finance-batches-desktop")
    page.locator("#build-batch").click()

    # The build runs in the background; the job page follows it to the batch.
    page.wait_for_url(re.compile(r"/console/jobs/\d+/$"))
    run_worker().join(timeout=60)
    page.locator("#job-follow").wait_for()
    batch = DeductionBatch.objects.get()
    assert (
        f"已生成批次{batch.number}：共3笔，合计90.00元" in page.locator("#job-outcome").inner_text()
    )
    page.locator("#job-follow").click()
    page.get_by_role("heading", name=re.compile(f"批次{batch.number}")).wait_for()
    assert page.locator("#batch-state").inner_text() == "已送银行"
    assert page.locator("#figure-pending").inner_text() == "3"

    with page.expect_download() as download:
        page.locator("#request-file").click()
    request = tmp_path / "request.txt"
    download.value.save_as(request)
    assert download.value.suggested_filename == f"deduction-{batch.number}.txt"
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_REQUEST_DOWNLOAD).count() == 1

    card = crypto.decrypt(failing.member.union_card_encrypted)
    result = tmp_path / f"result-{batch.number}.txt"
    result.write_bytes(answer_deduction_file(request.read_bytes(), failures={card: "余额不足"}))
    page.set_input_files("#id_file", str(result))
    page.locator("#upload-result-button").click()
    page.wait_for_url(re.compile(r"/console/jobs/\d+/$"))
    run_worker().join(timeout=60)
    page.locator("#job-follow").wait_for()
    assert "扣款成功2笔，失败1笔" in page.locator("#job-outcome").inner_text()
    page.locator("#job-follow").click()

    page.locator("#batch-figures").wait_for()
    assert page.locator("#batch-state").inner_text() == "已回盘"
    assert page.locator("#figure-debited").inner_text() == "2"
    assert page.locator("#figure-failed").inner_text() == "1"
    assert page.locator("#upload-result").count() == 0
    screenshot(page, "console-finance-batch-settled-desktop")
    page.select_option("#item-filters select", "failed")
    page.wait_for_url(re.compile(r"outcome=failed"))
    rows = page.locator("#items tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "张三" in row and "余额不足" in row and "湖塘镇甲公司工会" in row
    assert card not in row
    screenshot(page, "console-finance-batch-failed-items-desktop")

    page.locator("#finance-tabs").get_by_role("link", name="集中扣款批次").click()
    listed = page.locator("#batches tbody tr").first.inner_text()
    assert batch.number in listed and "已回盘" in listed and "60.00" in listed
    screenshot(page, "console-finance-batches-settled-desktop")
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED

    # SPEC D8: the apply texted the member, and 湖塘镇's admin finds the failure with its reason.
    texted = [text for phone, text in OutboxSender.outbox if phone == "13812345678"]
    assert texted and "余额不足" in texted[-1]
    town = new_page()
    staff_sign_in(town, live_server, "hutang")
    town.get_by_role("link", name="扣款反馈").first.click()
    town.get_by_role("heading", name=re.compile("扣款反馈")).wait_for()
    line = town.locator(f"#feedback-{failing.pk}").inner_text()
    assert "张三" in line and "余额不足" in line and "下次批量扣款重试" in line
    screenshot(town, "console-deduction-feedback-after-finance-desktop")

    phone = member_sign_in(new_page, live_server, "13812345678")
    phone.goto(f"{live_server.url}/m/enrollments/")
    shown = phone.locator(f"#enrollment-{failing.pk}").inner_text()
    assert "扣款失败" in shown and "余额不足" in shown
    screenshot(phone, "portal-deduction-failed-after-finance-phone")
