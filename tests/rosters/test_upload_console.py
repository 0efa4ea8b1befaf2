"""A roster handed in from the console (SPEC E6, X1–X7, S1, S5): upload, the check as a
background job, the preview, confirm (once) or cancel."""

import datetime

import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment.models import Authorization
from huzhu.files.services import open_stored
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import fail_stalled_jobs, run_job
from huzhu.rosters.models import ImportStatus, Review, RosterUpload, Source
from tests.conftest import sign_in
from tests.rosters import files
from tests.workbooks import encrypted

TODAY = datetime.date(2021, 11, 2)  # inside the 2022 paper and renewal windows


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("huzhu.console.views_rosters_import.scheme_today", lambda: TODAY)


def roster(people=(1, 2, 3), *, bad=()) -> bytes:
    rows = [files.person(n) for n in people]
    rows += [files.person(n, 身份证号码="12345") for n in bad]
    return files.xlsx(files.sheet_rows(rows))


def upload(client, content: bytes, *, name="湖塘甲公司.xlsx", **fields):
    data = {
        "year": 2022,
        "kind": "new",
        "signed_on": "2021-11-01",
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(reverse("console:roster_upload"), data)


def _has_url(name: str) -> bool:
    try:
        reverse(name, args=[1])
    except NoReverseMatch:
        return False
    return True


def run_latest(kind: str) -> Job:
    job = Job.objects.filter(kind=kind).latest("pk")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    return job


def preview(client, upload_pk):
    return client.get(reverse("console:roster_preview", args=[upload_pk]))


@pytest.fixture
def clerk(client, people):
    return sign_in(client, people.hutang_clerk)


@pytest.mark.django_db
def test_e6_x4_upload_check_preview_confirm_import(clerk, people, tree):
    form = clerk.get(reverse("console:roster_upload"))
    assert form.status_code == 200
    assert form.context["form"].initial["year"] == 2022  # the year whose window is open
    response = upload(clerk, roster(bad=(9, 10)))
    assert response.status_code == 302, response.content.decode()[-3000:]
    job = Job.objects.get(kind=kinds.ROSTERS_CHECK)
    assert response.status_code == 302 and response["Location"] == f"/console/jobs/{job.pk}/"
    item = RosterUpload.objects.get()
    assert (item.source, item.status, item.review) == (
        Source.CONSOLE,
        ImportStatus.CHECKING,
        Review.AWAITING,
    )
    assert item.unit == tree.hutang_union and item.uploaded_by == people.hutang_clerk
    assert item.file.original_name == "湖塘甲公司.xlsx" and item.file.unit_path == item.unit_path

    job = run_latest(kinds.ROSTERS_CHECK)
    assert job.status == JobStatus.SUCCEEDED, job.outcome
    # The job page links to the preview once the check has ended.
    page = clerk.get(reverse("console:job", args=[job.pk])).content.decode()
    assert reverse("console:roster_preview", args=[item.pk]) in page
    item.refresh_from_db()
    assert item.status == ImportStatus.CHECKED
    assert (item.imported, item.already_enrolled, item.rejected) == (3, 0, 2)
    assert not Authorization.objects.exists()  # a dry run writes nothing

    shown = preview(clerk, item.pk)
    text = shown.content.decode()
    assert [row.number for row in shown.context["rows"]] == [7, 8]
    assert "身份证号码" in shown.context["rows"][0].message
    assert 'id="roster-confirm"' in text and 'id="roster-cancel"' in text
    # X4: the errors workbook, kept in the upload's scope, with 错误说明.
    with open_stored(item.errors_file) as stored:
        sheet = python_calamine.CalamineWorkbook.from_filelike(stored).get_sheet_by_index(0)
    table = sheet.to_python()
    assert table[0][-1] == "错误说明" and len(table) == 3
    assert item.errors_file.unit_path == item.unit_path
    download = clerk.get(reverse("console:stored_file", args=[item.errors_file.pk]))
    assert download.status_code == 200

    confirmed = clerk.post(reverse("console:roster_confirm", args=[item.pk]))
    importing = Job.objects.get(kind=kinds.ROSTERS_IMPORT)
    assert confirmed["Location"] == f"/console/jobs/{importing.pk}/"
    job = run_latest(kinds.ROSTERS_IMPORT)
    assert job.status == JobStatus.SUCCEEDED, job.outcome
    item.refresh_from_db()
    assert item.status == ImportStatus.IMPORTED
    assert (item.imported, item.already_enrolled, item.rejected) == (3, 0, 2)
    assert item.review == Review.AWAITING  # E6: waits for its organizing unit
    authorizations = Authorization.objects.all()
    assert len(authorizations) == 3 and {a.roster_id for a in authorizations} == {item.pk}
    assert item.errors_file is not None
    text = preview(clerk, item.pk).content.decode()
    assert 'id="count-imported">3<' in text and 'id="roster-confirm"' not in text
    # console:roster (the roster's record) is another part's page: linked once it exists.
    assert ('id="roster-detail"' in text) == _has_url("console:roster")
    assert job.secret == "" and AuditEvent.objects.filter(action=Action.ROSTER_IMPORT).exists()


@pytest.mark.django_db
def test_x3_encrypted_roster_password_reaches_the_job_and_is_wiped(clerk):
    content = encrypted(roster(), "武进2022")
    upload(clerk, content, password="武进2022")
    job = Job.objects.get(kind=kinds.ROSTERS_CHECK)
    assert job.secret and "武进2022" not in job.secret  # encrypted while it waits
    job = run_latest(kinds.ROSTERS_CHECK)
    assert job.status == JobStatus.SUCCEEDED and job.secret == ""
    item = RosterUpload.objects.get()
    assert item.status == ImportStatus.CHECKED and item.imported == 3
    assert 'id="id_password"' in preview(clerk, item.pk).content.decode()
    # Asked again on confirming: a wrong one leaves the upload waiting, with the reason.
    clerk.post(reverse("console:roster_confirm", args=[item.pk]), {"password": "wrong"})
    job = run_latest(kinds.ROSTERS_IMPORT)
    assert job.status == JobStatus.FAILED and "密码" in job.outcome
    item.refresh_from_db()
    assert item.status == ImportStatus.CHECKED and "密码" in item.message
    assert not Authorization.objects.exists()
    clerk.post(reverse("console:roster_confirm", args=[item.pk]), {"password": "武进2022"})
    assert run_latest(kinds.ROSTERS_IMPORT).status == JobStatus.SUCCEEDED
    assert Authorization.objects.count() == 3


@pytest.mark.django_db
def test_x3_wrong_password_ends_the_check_failed_with_the_message(clerk):
    upload(clerk, encrypted(roster(), "武进2022"), password="nope")
    job = run_latest(kinds.ROSTERS_CHECK)
    assert job.status == JobStatus.FAILED and "密码" in job.outcome
    item = RosterUpload.objects.get()
    assert item.status == ImportStatus.FAILED and "密码" in item.message
    text = preview(clerk, item.pk).content.decode()
    assert "密码" in text and 'id="roster-confirm"' not in text
    page = clerk.get(reverse("console:job", args=[job.pk])).content.decode()
    assert "无法读取" in page and "密码" in page
    assert item.file is not None  # E6: the file is kept
    assert not Authorization.objects.exists()


@pytest.mark.django_db
def test_x2_a_file_that_is_not_a_roster_fails_the_check(clerk):
    upload(clerk, files.csv_bytes([["a", "b"], ["1", "2"]]), name="list.csv")
    job = run_latest(kinds.ROSTERS_CHECK)
    assert job.status == JobStatus.FAILED
    assert RosterUpload.objects.get().status == ImportStatus.FAILED


@pytest.mark.django_db
def test_s5_a_renamed_program_is_refused_by_its_content(clerk):
    response = upload(clerk, b"MZ\x90\x00" + b"\x00" * 200, name="名单.xlsx")
    assert response.status_code == 400
    assert "程序" in response.content.decode()
    assert not RosterUpload.objects.exists() and not Job.objects.exists()
    assert AuditEvent.objects.filter(action=Action.UPLOAD_REJECTED).exists()


@pytest.mark.django_db
def test_s5_a_file_over_the_size_limit_is_refused(clerk, settings):
    settings.HUZHU_UPLOAD_MAX_BYTES = 1024
    response = upload(clerk, roster())
    assert response.status_code == 400 and not RosterUpload.objects.exists()


@pytest.mark.django_db
def test_double_confirm_imports_once(clerk):
    upload(clerk, roster())
    run_latest(kinds.ROSTERS_CHECK)
    item = RosterUpload.objects.get()
    url = reverse("console:roster_confirm", args=[item.pk])
    first, second = clerk.post(url), clerk.post(url)
    assert Job.objects.filter(kind=kinds.ROSTERS_IMPORT).count() == 1
    assert second["Location"] == first["Location"]  # back to the one import's job
    run_latest(kinds.ROSTERS_IMPORT)
    third = clerk.post(url)
    assert third["Location"] == reverse("console:roster_preview", args=[item.pk])
    assert Job.objects.filter(kind=kinds.ROSTERS_IMPORT).count() == 1
    assert Authorization.objects.count() == 3


@pytest.mark.django_db
def test_cancel_keeps_the_file_and_imports_nothing(clerk):
    upload(clerk, roster())
    run_latest(kinds.ROSTERS_CHECK)
    item = RosterUpload.objects.get()
    clerk.post(reverse("console:roster_cancel", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == ImportStatus.CANCELLED and item.file_id is not None
    assert AuditEvent.objects.filter(action=Action.ROSTER_CANCEL).count() == 1
    clerk.post(reverse("console:roster_confirm", args=[item.pk]))
    assert not Job.objects.filter(kind=kinds.ROSTERS_IMPORT).exists()
    assert not Authorization.objects.exists()


@pytest.mark.django_db
def test_s1_an_admin_uploads_for_a_union_in_scope_only(client, people, tree):
    sign_in(client, people.hutang_admin)
    form = client.get(reverse("console:roster_upload")).context["form"]
    assert list(form.fields["unit"].queryset) == [tree.hutang_union, tree.hutang_union_b]
    assert upload(client, roster(), unit=tree.niutang_union.pk).status_code == 404
    assert not RosterUpload.objects.exists()
    assert upload(client, roster(), unit=tree.hutang_union_b.pk).status_code == 302
    assert RosterUpload.objects.get().unit == tree.hutang_union_b


@pytest.mark.django_db
def test_s1_another_units_upload_is_404(client, people, tree):
    sign_in(client, people.hutang_clerk)
    upload(client, roster())
    run_latest(kinds.ROSTERS_CHECK)
    item = RosterUpload.objects.get()
    sign_in(client, people.niutang_admin)
    assert preview(client, item.pk).status_code == 404
    assert client.post(reverse("console:roster_confirm", args=[item.pk])).status_code == 404
    assert client.post(reverse("console:roster_cancel", args=[item.pk])).status_code == 404
    assert RosterUpload.objects.get().status == ImportStatus.CHECKED
    sign_in(client, people.auditor)
    assert client.post(reverse("console:roster_confirm", args=[item.pk])).status_code == 403


@pytest.mark.django_db
def test_bad_fields_are_named_in_chinese(clerk):
    response = upload(clerk, roster(), signed_on="2030-01-01", year="abc")
    assert response.status_code == 400
    text = response.content.decode()
    assert "签字日期：签字日期不能晚于今天" in text and "保障年度：" in text


@pytest.mark.django_db
def test_menu_and_enrollments_page_link_to_the_upload(client, people):
    sign_in(client, people.hutang_clerk)
    page = client.get(reverse("console:enrollments")).content.decode()
    assert 'id="nav-roster-upload"' in page and 'id="roster-upload-link"' in page
    sign_in(client, people.auditor)
    page = client.get(reverse("console:enrollments")).content.decode()
    assert "nav-roster-upload" not in page and "roster-upload-link" not in page


@pytest.mark.django_db
def test_a_100_row_check_and_import_take_a_bounded_number_of_queries(clerk):
    upload(clerk, roster(range(1, 91), bad=range(91, 101)))
    with CaptureQueriesContext(connection) as checked:
        run_latest(kinds.ROSTERS_CHECK)
    item = RosterUpload.objects.get()
    clerk.post(reverse("console:roster_confirm", args=[item.pk]))
    with CaptureQueriesContext(connection) as imported:
        job = run_latest(kinds.ROSTERS_IMPORT)
    assert job.status == JobStatus.SUCCEEDED
    item.refresh_from_db()
    assert (item.imported, item.rejected) == (90, 10)
    assert len(checked) < 40, len(checked)
    assert len(imported) < 70, len(imported)


@pytest.mark.django_db
def test_an_import_that_failed_in_the_system_may_be_confirmed_again(clerk, monkeypatch):
    upload(clerk, roster())
    run_latest(kinds.ROSTERS_CHECK)
    item = RosterUpload.objects.get()
    url = reverse("console:roster_confirm", args=[item.pk])
    clerk.post(url)

    def broken(**kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr("huzhu.rosters.jobs.import_roster", broken)
    assert run_latest(kinds.ROSTERS_IMPORT).status == JobStatus.FAILED
    item.refresh_from_db()
    assert item.status == ImportStatus.IMPORTING and not Authorization.objects.exists()
    assert 'id="roster-confirm"' in preview(clerk, item.pk).content.decode()
    monkeypatch.undo()
    monkeypatch.setattr("huzhu.console.views_rosters_import.scheme_today", lambda: TODAY)
    clerk.post(url)
    assert Job.objects.filter(kind=kinds.ROSTERS_IMPORT).count() == 2
    assert run_latest(kinds.ROSTERS_IMPORT).status == JobStatus.SUCCEEDED
    assert Authorization.objects.count() == 3


@pytest.mark.django_db
def test_a_second_upload_while_the_first_is_checked_records_nothing(clerk):
    first = upload(clerk, roster())
    second = upload(clerk, roster((4, 5)), name="second.xlsx")
    assert second["Location"] == first["Location"]  # the running check's job page
    assert RosterUpload.objects.count() == 1 and Job.objects.count() == 1


@pytest.mark.django_db
def test_the_password_is_wiped_when_a_stalled_check_is_given_up(clerk):
    upload(clerk, encrypted(roster(), "武进2022"), password="武进2022")
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Job.objects.update(status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    assert fail_stalled_jobs() == 1
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.secret == ""
