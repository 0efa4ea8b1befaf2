"""A grassroots clerk prints a member's authorization form from the member page and the
forms of the union's roster; a page of each PDF is rendered to PNG (kept with the
screenshots) and must show the member's name and the payee (SPEC X9)."""

import io

import pypdf
import pypdfium2
import pytest

from huzhu.rosters.forms_pdf import load_form_text
from tests.browser.conftest import ARTIFACTS, DESKTOP, screenshot
from tests.browser.test_member_records import _with_session
from tests.conftest import sign_in
from tests.rosters.output import enrolled_roster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_png(content: bytes, name: str):
    """Page 1 at 150 dpi, saved with the screenshots; returns the file."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    document = pypdfium2.PdfDocument(content)
    try:
        document[0].render(scale=150 / 72).to_pil().save(path)
    finally:
        document.close()
    return path


def test_a_clerk_prints_a_members_form_and_the_unions_forms(
    new_page, live_server, client, people, tree
):
    enrolled_roster(tree, people)
    sign_in(client, people.hutang_clerk)
    page = new_page(DESKTOP)
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/members/{people.member.pk}/")
    page.fill("#form-year", "2022")
    screenshot(page, "console-member-form-button-desktop")
    with page.expect_download() as info:
        page.locator("#member-form-pdf").click()
    download = info.value
    assert download.suggested_filename == "张三2022付款授权书.pdf"
    content = open(download.path(), "rb").read()  # noqa: SIM115
    text = pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()
    payee = load_form_text().payee.name
    assert "张三" in text and payee in text
    png = as_png(content, "authorization-form-member-page1")
    assert png.stat().st_size > 20_000  # a page of text, not a blank one

    page.locator("#roster-export-nav").click()
    page.locator("#roster-forms-link").click()
    page.select_option("#id_unit", label="湖塘镇甲公司工会")
    page.fill("#id_year", "2022")
    screenshot(page, "console-roster-forms-desktop")
    with page.expect_download() as info:
        page.locator("#roster-forms").click()
    content = open(info.value.path(), "rb").read()  # noqa: SIM115
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) == 1
    as_png(content, "authorization-form-union-page1")
