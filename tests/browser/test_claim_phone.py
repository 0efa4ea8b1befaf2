"""补助申请 on a phone (375 px): a paid member answers the questions, sees the estimate,
adds photos of the documents, submits, and finds the claim in the list (SPEC C1, §12)."""

import pytest

from huzhu.claims import rules
from huzhu.claims.models import Claim, ClaimState
from tests.browser.conftest import PHONE, member_phone_page, screenshot
from tests.claims.helpers import paid_member, photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_c1_a_member_claims_a_hospital_stay_on_a_phone(
    new_page, live_server, client, tree, settings, tmp_path
):
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    member = paid_member(tree.hutang_union)
    page = member_phone_page(new_page, live_server, client, member)
    page.goto(f"{live_server.url}/m/")
    page.click("#home-claims a.btn:not(.secondary)")
    page.wait_for_selector("#claim-questions")
    page.fill("#id_stay-0-admitted_on", "2022-03-01")
    page.fill("#id_stay-0-discharged_on", "2022-03-10")
    page.fill("#id_stay-0-hospital", "武进人民医院")
    page.fill("#id_stay-0-invoice_number", "FP-20220310")
    page.fill("#id_stay-0-settled_self_pay", "6200")
    screenshot(page, "portal-claim-questions-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="试算").click()
    page.wait_for_selector("#claim-documents")
    assert "1000.00" in page.inner_text("#result")
    for index, kind in enumerate(rules.required_documents("hospitalization")):
        page.set_input_files(
            f"#doc-{kind}-files",
            files=[
                {
                    "name": f"{kind}.jpg",
                    "mimeType": "image/jpeg",
                    "buffer": photo_bytes(colour=(index * 40, 80, 120)),
                }
            ],
        )
    screenshot(page, "portal-claim-documents-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#claim-submit-button")
    page.wait_for_selector("#claim-sent")
    screenshot(page, "portal-claim-submitted-phone")
    claim = Claim.objects.get()
    assert claim.state == ClaimState.SUBMITTED and claim.documents.count() == 5
    page.goto(f"{live_server.url}/m/claims/")
    assert f"#{claim.pk}" in page.inner_text(f"#claim-{claim.pk}")
    screenshot(page, "portal-claims-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
