"""A grassroots clerk hands in a roster with errors (SPEC E6, X4): uploads it, watches the
check's bar, reads the preview, downloads the errors workbook, confirms and sees the
imported counts."""

import pytest
import python_calamine

from huzhu.enrollment.models import Authorization
from huzhu.rosters.models import ImportStatus, Review, RosterUpload
from tests.browser.conftest import screenshot
from tests.browser.test_job_page import run_worker
from tests.browser.test_member_records import _with_session
from tests.conftest import sign_in
from tests.rosters import files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_uploads_checks_and_imports_a_roster(
    new_page, live_server, client, people, tmp_path
):
    rows = [files.person(n) for n in range(1, 31)]
    rows += [files.person(31, 身份证号码="320412"), files.person(32, 手机号码="1390000")]
    source = tmp_path / "湖塘镇甲公司工会1101.xlsx"
    source.write_bytes(files.xlsx(files.sheet_rows(rows)))
    sign_in(client, people.hutang_clerk)
    page = new_page()
    _with_session(page, client, live_server)
    page.goto(f"{live_server.url}/console/enrollments/")
    page.locator("#roster-upload-link").click()
    page.get_by_role("heading", name="上传参保汇总表").wait_for()
    page.select_option("#id_year", "2022")
    page.fill("#id_signed_on", "2021-11-01")
    page.set_input_files("#id_file", str(source))
    screenshot(page, "console-roster-upload-desktop")
    page.get_by_role("button", name="上传并检查").click()

    # The check runs in the background; the job page's bar follows it.
    page.get_by_role("heading", name="汇总表检查").wait_for()
    assert page.locator("#job-progress progress").count() == 1
    run_worker().join(timeout=60)
    page.locator("#job-follow").wait_for()
    assert page.locator("#job-progress progress").get_attribute("value") == "100"
    assert "可导入30人" in page.locator("#job-outcome").inner_text()
    screenshot(page, "console-roster-checked-job-desktop")
    page.locator("#job-follow").click()

    page.locator("#roster-counts").wait_for()
    assert page.locator("#count-imported").inner_text() == "30"
    assert page.locator("#count-rejected").inner_text() == "2"
    reasons = page.locator("#rejected-rows").inner_text()
    assert "身份证号码" in reasons and "手机号码" in reasons
    screenshot(page, "console-roster-preview-desktop")
    with page.expect_download() as download:
        page.locator("#roster-errors").click()
    saved = tmp_path / "errors.xlsx"
    download.value.save_as(saved)
    table = python_calamine.CalamineWorkbook.from_path(str(saved)).get_sheet_by_index(0)
    header, *rejected = table.to_python()
    assert header[-1] == "错误说明" and len(rejected) == 2
    assert "身份证号码" in rejected[0][-1]

    page.get_by_role("button", name="确认导入").click()
    page.get_by_role("heading", name="汇总表导入").wait_for()
    run_worker().join(timeout=60)
    page.locator("#job-follow").wait_for()
    page.locator("#job-follow").click()
    page.locator("#roster-counts").wait_for()
    assert page.locator("#count-imported").inner_text() == "30"
    assert "组织单位审核通过" in page.locator("#roster-awaiting").inner_text()
    assert page.locator("#roster-confirm").count() == 0
    screenshot(page, "console-roster-imported-desktop")
    upload = RosterUpload.objects.get()
    assert (upload.status, upload.review) == (ImportStatus.IMPORTED, Review.AWAITING)
    assert Authorization.objects.filter(roster=upload).count() == 30
