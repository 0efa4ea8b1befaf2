"""Playwright driving the system's Chromium (a test tool's own browser download is not
available on our machines). Without Chromium the tests skip with the reason; CI sets
HUZHU_REQUIRE_BROWSER=1 so that a skip there is a failure instead."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in the test thread; the test still touches the
# database only between browser calls, never concurrently.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(os.environ.get("HUZHU_ARTIFACTS", "artifacts")) / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("HUZHU_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (install Debian's chromium, or set HUZHU_CHROMIUM)"
        if os.environ.get("HUZHU_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []
    # Anything the Content-Security-Policy blocked (an inline style or script, an eval):
    # Chromium reports it on the console. A walkthrough that triggers one fails.
    refused: list[str] = []

    def watch(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def make(viewport=DESKTOP, mobile=False):
        context = browser.new_context(
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            device_scale_factor=1,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == []


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def member_phone_page(new_page, live_server, client, member):
    """A phone-sized page signed in to the portal as the member."""
    session = client.session
    session["member_ids"] = [member.pk]
    session.save()
    page = new_page(PHONE, mobile=True)
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    return page
