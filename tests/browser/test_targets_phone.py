"""The targets table on a phone (issue 6): it scrolls inside its card instead of cutting
off the last column, and unit names keep their width instead of one character a line."""

from importlib import resources

import pytest

from huzhu.org.rules import parse_target_table
from huzhu.org.services import import_targets
from huzhu.tabular import read_rows
from tests.browser.conftest import DESKTOP, PHONE, screenshot
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
