"""我的参保 on a phone (375 px): a member signs up online through the simulated bank and sees
已签约，待扣款 (SPEC E3, §7a)."""

import datetime

import pytest

from huzhu.enrollment.models import Authorization, Enrollment, State
from tests.browser.conftest import PHONE, member_phone_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_e3_a_member_signs_up_online_through_the_simulated_bank(
    new_page, live_server, client, people, monkeypatch
):
    member = people.member
    # Inside the 2022 online window (policies/2022.toml: 2021-10-11 to 2021-12-25); the
    # simulated bank dates its notice from the same helper.
    monkeypatch.setattr(
        "huzhu.portal.views_enrollment.scheme_today", lambda: datetime.date(2021, 11, 1)
    )
    page = member_phone_page(new_page, live_server, client, member)
    page.goto(f"{live_server.url}/m/enrollments/")
    screenshot(page, "portal-enrollments-online-offer-phone")
    page.get_by_role("link", name="网上签约").click()
    page.wait_for_selector("#confirm-signing")
    content = page.content()
    assert "模拟银行App：工会互助签约" in content
    assert member.union_card_masked in content
    assert "6231660000000000001" not in content
    screenshot(page, "portal-bank-simulated-signing-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#confirm-signing")
    page.wait_for_selector("#enrollment-notice")
    assert "已签约，待扣款" in page.content()
    screenshot(page, "portal-enrollments-signed-online-phone")
    enrollment = Enrollment.objects.get(member=member, year=2022)
    assert enrollment.state == State.AUTHORIZED
    assert Authorization.objects.get(enrollment=enrollment, active=True).channel == "online"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
