"""The district reads the claim statistics (SPEC §12, D9): tables and bars drawn by the app
itself (no script, no CDN), and the workbook download."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.roles import Role
from huzhu.management.commands.totp import current_code
from tests.browser.conftest import screenshot
from tests.browser.test_walkthrough import staff_sign_in
from tests.claims.helpers import approved, hospital_facts, injury_facts, paid_member, stay
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_district_reads_claim_statistics_with_charts_and_downloads_them(
    new_page, live_server, tree, people, settings, tmp_path
):
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    agency = make_user("agency_stats", Role.AGENCY, tree.district)
    for index, (day, self_pay) in enumerate((("2022-02-01", "6000"), ("2022-05-01", "12000"))):
        member = paid_member(tree.hutang_union, name="统计" + "甲乙"[index])
        approved(member, hospital_facts(stay(day, self_pay)), agency)
    approved(paid_member(tree.niutang_union, name="统计丙"), injury_facts(grade=3), agency)
    page = new_page()
    staff_sign_in(page, live_server, "district")
    page.get_by_label("验证码").fill(
        current_code(TOTPDevice.objects.get(user=people.district_admin))
    )
    page.get_by_role("button", name="验证").click()
    page.locator("#nav-claim-statistics").click()
    page.get_by_role("heading", name="补助统计").wait_for()
    page.select_option("select[name=year]", "2022")
    page.locator("#statistics-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"year=2022"))
    assert page.locator("svg").count() >= 2
    text = page.inner_text("body")
    assert "湖塘镇" in text and "牛塘镇" in text and "住院" in text
    screenshot(page, "console-claim-statistics-desktop")
    with page.expect_download() as download:
        page.locator("a[href*='statistics.xlsx']").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
