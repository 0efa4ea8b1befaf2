"""The whole journey of a claim (SPEC C1–C5, D9): a member submits a hospitalization claim
with photos on a phone; the service agency approves it at a desktop; finance pays it through
a payout batch answered by the simulated bank; the member, texted, sees it paid."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.roles import Role
from huzhu.bank.simulated_bank import answer_payout_file
from huzhu.claims import rules
from huzhu.claims.models import Claim, ClaimState
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.management.commands.totp import current_code
from huzhu.members.sms import OutboxSender
from tests.browser.conftest import PHONE, member_phone_page, screenshot
from tests.browser.test_walkthrough import staff_sign_in
from tests.claims.helpers import paid_member
from tests.conftest import make_user
from tests.files.test_images import photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_c1_c3_c4_c5_a_claim_from_the_phone_to_the_payout(
    new_page, live_server, client, tree, settings, tmp_path
):
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    make_user("agency_hutang", Role.AGENCY, tree.hutang)
    finance = make_user("finance", Role.FINANCE, tree.district, second_factor=True)
    member = paid_member(tree.hutang_union)

    # The member, on a phone: questions, estimate, photos (a 12 MP camera photo among them).
    phone = member_phone_page(new_page, live_server, client, member)
    phone.goto(f"{live_server.url}/m/claims/new")
    phone.wait_for_selector("#claim-questions")
    phone.fill("#id_stay-0-admitted_on", "2022-03-01")
    phone.fill("#id_stay-0-discharged_on", "2022-03-10")
    phone.fill("#id_stay-0-hospital", "武进人民医院")
    phone.fill("#id_stay-0-invoice_number", "FP-20220310")
    phone.fill("#id_stay-0-settled_self_pay", "12000")
    phone.get_by_role("button", name="试算").click()
    phone.wait_for_selector("#claim-documents")
    assert "1500.00" in phone.inner_text("#result")
    for index, kind in enumerate(rules.required_documents("hospitalization")):
        shot = photo(size=(4000, 3000 - index))  # five different photos
        phone.set_input_files(
            f"#doc-{kind}-files",
            files=[{"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": shot}],
        )
    # photos.js has drawn a preview of each shrunk photo.
    phone.locator("[data-shrink-preview] canvas").nth(4).wait_for()
    screenshot(phone, "journey-1-member-documents-phone")
    phone.click("#claim-submit-button")
    phone.wait_for_selector("#claim-sent")
    claim = Claim.objects.get()
    assert claim.state == ClaimState.SUBMITTED and claim.documents.count() == 5
    # Shrunk in the browser before it left the phone: no 4000 px photo reached the server.
    assert all(d.file.size < 400_000 for d in claim.documents.select_related("file"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "journey-2-member-submitted-phone")

    # The service agency reviews and approves at a desktop.
    desk = new_page()
    staff_sign_in(desk, live_server, "agency_hutang")
    desk.locator("#nav-claims").click()
    desk.locator(f"#claim-{claim.pk} a").first.click()
    desk.get_by_role("heading", name=re.compile(f"补助申请 #{claim.pk}")).wait_for()
    assert "1500.00" in desk.locator("#claim-trial").inner_text()
    desk.locator("#action-start").click()
    desk.locator("#action-approve").click()
    desk.locator("#claim-amount").wait_for()
    screenshot(desk, "journey-3-agency-approved-desktop")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.APPROVED

    # Finance builds the payout batch, hands the bank's answer in, and the claim is paid.
    money = new_page()
    staff_sign_in(money, live_server, "finance")
    money.get_by_label("验证码").fill(current_code(TOTPDevice.objects.get(user=finance)))
    money.get_by_role("button", name="验证").click()
    money.goto(f"{live_server.url}/console/finance/payouts/")
    assert money.locator("#figure-waiting").inner_text() == "1"
    money.locator("#build-payout-batch").click()
    money.locator("#request-file").wait_for()
    with money.expect_download() as download:
        money.locator("#request-file").click()
    request = tmp_path / "payout-request.txt"
    download.value.save_as(request)
    result = tmp_path / "payout-result.txt"
    result.write_bytes(answer_payout_file(request.read_bytes()))
    money.set_input_files("#upload-result input[type=file]", str(result))
    money.locator("#upload-result-button").click()
    money.locator("#figure-paid").wait_for()
    assert money.locator("#figure-paid").inner_text() == "1"
    screenshot(money, "journey-4-finance-paid-desktop")
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID and claim.paid_at is not None
    payout = LedgerEntry.objects.get(kind=EntryKind.PAYOUT)
    assert payout.amount == -claim.amount

    # The member was texted at each step that mattered, and sees the claim paid.
    texts = [text for _phone, text in OutboxSender.outbox]
    assert any("已核准" in text for text in texts) and any("已支付" in text for text in texts)
    phone.goto(f"{live_server.url}/m/claims/{claim.pk}")
    assert phone.locator("#claim-state").inner_text() == "已支付"
    assert "1500.00" in phone.locator("#claim-amount").inner_text()
    assert "已支付" in phone.locator("#claim-timeline").inner_text()
    screenshot(phone, "journey-5-member-paid-phone")
