"""A member asks for a correction on a phone; a clerk edits and moves a member at a desk."""

import pytest

from huzhu.members.models import CorrectionRequest, CorrectionStatus, Member
from huzhu.members.selectors import member_count_drift
from huzhu.portal.views import SESSION_KEY
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _with_session(page, client, live_server):
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def test_a_member_asks_for_a_correction_on_a_phone(new_page, live_server, client, people):
    session = client.session
    session[SESSION_KEY] = [people.member.pk]
    session.save()
    page = new_page(PHONE, mobile=True)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/m/me/")
    assert "138****5678" in page.content()
    page.select_option(f"#field-{people.member.pk}", "phone")
    page.fill(f"#text-{people.member.pk}", "我换了手机号，新号尾号2222")
    screenshot(page, "portal-correction-form-phone")
    page.get_by_role("button", name="提交给我的工会").click()
    page.wait_for_selector("#correction-sent")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    requests = page.locator(f"#requests-{people.member.pk}")
    assert "等待工会处理" in requests.inner_text()
    screenshot(page, "portal-correction-sent-phone")
    assert CorrectionRequest.objects.get().status == CorrectionStatus.OPEN


def test_a_clerk_edits_and_moves_a_member_at_a_desk(new_page, live_server, client, people, tree):
    CorrectionRequest.objects.create(
        member=people.member,
        field="phone",
        text="我换了手机号，新号尾号2222",
        created_at=people.member.created_at,
    )
    sign_in(client, people.hutang_admin)
    page = new_page(DESKTOP)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/members/{people.member.pk}/")
    assert "尾号2222" in page.locator("#corrections").inner_text()
    page.fill("#id_phone", "13911112222")
    page.select_option("#id_correction", label="手机号码：我换了手机号，新号尾号2222")
    screenshot(page, "console-member-edit-desktop")
    page.locator("#save-member").click()
    page.wait_for_selector("#history")
    history = page.locator("#history").inner_text()
    assert "138****5678 → 139****2222" in history and "应职工申请" in history
    assert page.locator("#corrections").count() == 0
    page.select_option("#id_unit", label="湖塘镇乙公司工会")
    page.locator("#move-member").click()
    page.wait_for_selector("#history")
    assert page.locator("#member-unit").inner_text() == "湖塘镇乙公司工会"
    assert "湖塘镇甲公司工会 → 湖塘镇乙公司工会" in page.locator("#history").inner_text()
    screenshot(page, "console-member-history-desktop")
    assert Member.objects.get(pk=people.member.pk).unit == tree.hutang_union_b
    assert member_count_drift() == {}
