"""A background job as a browser sees it: the members page starts an export, the job page's
bar follows the job by itself (htmx polling a fragment, no inline script: the CSP would
refuse it), stops polling when the job ends, and offers the result to download."""

import threading

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

from huzhu.jobs import kinds
from huzhu.jobs.models import Job
from huzhu.jobs.services import start_job
from tests.browser.conftest import screenshot
from tests.browser.test_staff_accounts import sign_in
from tests.jobs import steps
from tests.jobs.conftest import TEST_KINDS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_worker() -> threading.Thread:
    def work():
        try:
            Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="browser-test",
                excluded_queue_names=[],
            ).run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_the_job_page_shows_a_live_bar_and_the_result(
    new_page, live_server, people, monkeypatch, tmp_path
):
    for kind, path in TEST_KINDS.items():
        monkeypatch.setitem(kinds.RUNNERS, kind, path)
    steps.reset()
    page = new_page()
    sign_in(page, live_server, "hutang")

    # A job that waits for the test at each step: the bar is caught part-way.
    job = start_job(actor=people.hutang_admin, kind="test.steps")
    page.goto(f"{live_server.url}/console/jobs/{job.pk}/")
    bar = page.locator("#job-progress progress")
    assert bar.get_attribute("value") == "0"
    worker = run_worker()
    try:
        assert steps.reached[1].wait(timeout=60)
        page.locator("#job-counts", has_text="1 / 3").wait_for()
        assert bar.get_attribute("value") == "33"
        screenshot(page, "console-job-running-desktop")
    finally:
        for event in steps.go:
            event.set()
        worker.join(timeout=60)
    page.locator("#job-outcome", has_text="三行已处理。").wait_for()
    assert bar.get_attribute("value") == "100"
    # Ended: the fragment came back without its trigger, so htmx stops asking.
    assert page.locator("#job-progress").get_attribute("hx-trigger") is None

    # The real thing: the members page's button starts an export in the background.
    page.goto(f"{live_server.url}/console/members/")
    page.get_by_role("button", name="导出 Excel").click()
    page.get_by_role("heading", name="导出职工名单").wait_for()
    export = Job.objects.get(kind=kinds.MEMBERS_EXPORT)
    assert page.url.endswith(f"/console/jobs/{export.pk}/")
    run_worker().join(timeout=60)
    page.locator("#job-outcome", has_text="已导出 1 名职工。").wait_for()
    screenshot(page, "console-job-finished-desktop")
    with page.expect_download() as download:
        page.locator("#job-result").click()
    saved = tmp_path / "export.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"PK\x03\x04")
    assert download.value.suggested_filename.startswith("职工名单-")

    page.get_by_role("link", name="我的任务").first.click()
    assert page.locator("#jobs tbody tr").count() == 2
    screenshot(page, "console-jobs-desktop")
