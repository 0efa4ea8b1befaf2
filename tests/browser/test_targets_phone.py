"""The targets table on a phone (issue 6): it scrolls inside its card instead of cutting
off the last column, and unit names keep their width instead of one character a line."""

from importlib import resources

import pytest

from huzhu.org.rules import parse_target_table
from huzhu.org.services import import_targets
from huzhu.tabular import read_rows
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, screenshot
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_page(new_page, live_server, client, people):
    content = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()
    parsed = parse_target_table(read_rows(content, "t.csv"))
    import_targets(actor=None, parsed=parsed, create_units={r.unit_name for r in parsed.rows})
    sign_in(client, people.district_admin)

    def make(viewport):
        page = new_page(viewport, mobile=viewport is PHONE)
        page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page.goto(f"{live_server.url}/console/targets/?year=2022")
        return page

    return make


def test_the_targets_table_is_readable_on_a_phone(signed_in_page):
    page = signed_in_page(PHONE)
    screenshot(page, "console-targets-phone")
    # The page itself does not scroll sideways; the table does, inside its card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card = page.locator("#report").locator("xpath=..")
    assert card.evaluate(
        "e => e.scrollWidth > e.clientWidth"
        " && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)"
    )
    name = page.locator("#report tbody tr", has_text="高新区北区").locator("td").nth(1)
    lines = name.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return r.getClientRects().length; }"
    )
    assert lines == 1, "the unit name wraps"
    last = page.locator("#report thead th").last
    last.scroll_into_view_if_needed()
    assert last.is_visible() and last.inner_text() == "2022年计划任务数"
    screenshot(page, "console-targets-phone-scrolled")


def test_the_targets_page_on_a_desktop_needs_no_scrolling(signed_in_page):
    page = signed_in_page(DESKTOP)
    card = page.locator("#report").locator("xpath=..")
    assert card.evaluate("e => e.scrollWidth <= e.clientWidth")
    screenshot(page, "console-targets-wide")


def test_a_renamed_unit_is_confirmed_on_a_phone_and_the_total_stays_right(signed_in_page):
    page = signed_in_page(PHONE)
    content = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()
    renamed = content.decode().replace("牛塘镇", "牛塘新区").encode()
    page.set_input_files(
        "#id_file", files=[{"name": "附件1.csv", "mimeType": "text/csv", "buffer": renamed}]
    )
    assert page.get_by_label("工作簿密码").is_visible()
    form = page.locator("form[enctype]").locator("xpath=..")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=str(ARTIFACTS / "console-targets-import-phone.png"))
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_role("heading", name="确认导入").wait_for()
    assert "牛塘新区" in page.locator("#new-units").inner_text()
    assert page.locator("#cleared-units").inner_text() == "牛塘镇"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "console-targets-confirm-phone")
    page.get_by_role("button", name="确认并导入").click()
    page.get_by_text("已清除文件中未列出的组织单位的数据：牛塘镇").wait_for()
    assert "82200" in page.locator("#report").inner_text()
