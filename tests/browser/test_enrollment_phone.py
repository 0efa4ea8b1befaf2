"""我的参保 on a phone (375 px): a member paid in 2021 renews for 2022 in one tap, then
revokes with a confirmation (SPEC E4, 解约)."""

import datetime

import pytest

from huzhu.enrollment import services
from huzhu.enrollment.models import Enrollment, State
from tests.browser.conftest import PHONE, member_phone_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_e4_a_member_of_2021_renews_in_one_tap_then_revokes(
    new_page, live_server, client, people, monkeypatch
):
    member = people.member
    services.sign(
        member=member,
        year=2021,
        channel="paper",
        signed_on=datetime.date(2020, 12, 1),
        source="console",
        actor=None,
    )
    services.mark_paid(enrollment=Enrollment.objects.get(member=member, year=2021), actor=None)
    # Inside the 2022 renewal window (policies/2022.toml: 2021-10-11 to 2021-12-25).
    monkeypatch.setattr(
        "huzhu.portal.views_enrollment.scheme_today", lambda: datetime.date(2021, 11, 1)
    )
    page = member_phone_page(new_page, live_server, client, member)
    page.goto(f"{live_server.url}/m/enrollments/")
    screenshot(page, "portal-enrollments-renew-phone")
    page.get_by_role("button", name="一键续签").click()
    page.wait_for_selector("#enrollment-notice")
    assert "已签约，待扣款" in page.content()
    screenshot(page, "portal-enrollments-renewed-phone")
    assert Enrollment.objects.get(member=member, year=2022).state == State.AUTHORIZED

    page.get_by_role("link", name="解除签约授权").first.click()
    page.wait_for_selector("#confirm-revoke")
    screenshot(page, "portal-enrollment-revoke-confirm-phone")
    page.click("#confirm-revoke")
    page.wait_for_selector("#enrollment-notice")
    assert "已解约" in page.content()
    screenshot(page, "portal-enrollments-revoked-phone")
    assert Enrollment.objects.get(member=member, year=2022).state == State.REVOKED
    # No page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
