"""The claim review console as the service agency sees it (SPEC C2, C3, S5): the queue, a
claim's page with its documents in the image viewer, and an approval, with no script or
style the Content-Security-Policy refuses."""

import re

import pytest

from huzhu.accounts.roles import Role
from huzhu.claims.models import Claim, ClaimState
from tests.browser.conftest import screenshot
from tests.browser.test_walkthrough import staff_sign_in
from tests.claims.helpers import paid_member, submit
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_c3_the_agency_opens_a_claim_zooms_into_a_document_and_approves_it(
    new_page, live_server, tree
):
    make_user("agency_hutang", Role.AGENCY, tree.hutang)
    claim = submit(paid_member(tree.hutang_union), invoices=["FP-7001"])
    page = new_page()
    staff_sign_in(page, live_server, "agency_hutang")
    page.locator("#nav-claims").click()
    page.get_by_role("heading", name="补助审核").wait_for()
    assert "赵六" in page.locator(f"#claim-{claim.pk}").inner_text()
    page.locator(f"#claim-{claim.pk} a").first.click()
    page.get_by_role("heading", name=re.compile(f"补助申请 #{claim.pk}")).wait_for()
    assert "当前试算" in page.locator("#claim-trial").inner_text()

    page.locator("#claim-documents a[data-viewer]").first.click()
    viewer = page.locator(".viewer")
    viewer.wait_for(state="visible")
    page.get_by_role("button", name="放大").click()
    transform = page.locator(".viewer img").evaluate("img => img.style.transform")
    assert "scale(1.25)" in transform
    assert page.locator(".viewer img").evaluate("img => img.naturalWidth") > 0
    screenshot(page, "console-claim-viewer-desktop")
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")

    page.locator("#action-start").click()
    page.locator("#action-approve").wait_for()
    page.locator("#action-approve").click()
    page.locator("#claim-amount").wait_for()
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.APPROVED
    assert "1000.00" in page.locator("#claim-amount").inner_text()
    screenshot(page, "console-claim-approved-desktop")
