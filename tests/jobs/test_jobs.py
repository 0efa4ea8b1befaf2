"""Jobs from start to end: queued through the task backend, run, failed with a Chinese
message and the traceback in the log, the member export's workbook, and who sees what."""

import io
import logging

import pytest
import python_calamine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import run_job, start_job
from tests.conftest import add_member, sign_in


def _events(job, action):
    return AuditEvent.objects.filter(object_type="jobs.job", object_id=str(job.pk), action=action)


def test_starting_a_job_queues_its_task_once_committed(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
        assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [job.pk]
    assert (job.status, job.unit_path) == (JobStatus.QUEUED, people.hutang_admin.unit.path)


def test_a_job_is_run_once_even_if_queued_twice(people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    run_job(job_id=job.pk)
    run_job(job_id=job.pk)
    assert _events(job, Action.JOB_SUCCEEDED).count() == 1


def test_a_failed_job_says_so_in_chinese_and_logs_the_traceback(people, test_kinds, caplog):
    job = start_job(actor=people.hutang_clerk, kind="test.broken")
    with caplog.at_level(logging.ERROR, logger="huzhu.jobs"):
        run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.outcome.startswith("任务因系统错误而中止")
    assert "ZeroDivision" not in job.outcome
    (record,) = [r for r in caplog.records if r.name == "huzhu.jobs.services"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is ZeroDivisionError
    assert job.finished_at is not None and job.total == 10
    (event,) = _events(job, Action.JOB_FAILED)
    assert event.actor_user == people.hutang_clerk

    # The job page shows the sentence, never the traceback.
    page = sign_in(people_client(), people.hutang_clerk).get(reverse("console:job", args=[job.pk]))
    assert "任务因系统错误而中止" in page.content.decode()
    assert "ZeroDivision" not in page.content.decode()


def people_client():
    from django.test import Client

    return Client()


def test_a_job_refusing_its_input_shows_the_reason(people, test_kinds):
    job = start_job(actor=people.hutang_clerk, kind="test.refusing")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.outcome) == (JobStatus.FAILED, "文件第3行缺少身份证号。")


def test_progress_cannot_be_written_inside_the_jobs_own_transaction(people, test_kinds, caplog):
    """Inside the job's transaction a second connection would see nothing move: refused."""
    job = start_job(actor=people.hutang_admin, kind="test.progress_inside_transaction")
    with caplog.at_level(logging.ERROR, logger="huzhu.jobs"):
        run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.done == 0
    assert any("durable" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def _read_xlsx(content: bytes) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_member_export_runs_in_the_background_and_is_downloaded_from_the_job_page(
    client, people, tree
):
    add_member(tree.hutang_union_b, name="钱七", union_card="6231660000000000003")
    sign_in(client, people.hutang_admin)
    response = client.post(reverse("console:members_export"))
    job = Job.objects.get()
    assert response.url == reverse("console:job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page  # queued: the page polls

    run_job(job_id=job.pk)
    fragment = client.get(reverse("console:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment and "hx-get" not in fragment  # ended: polling stops
    assert "已导出 2 名职工" in fragment
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 2, 2)
    download = client.get(reverse("console:stored_file", args=[job.result_file.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    rows = _read_xlsx(b"".join(download.streaming_content))
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == ["张三", "钱七"]  # 湖塘镇's members only: not 牛塘镇's 李四
    assert rows[1][1].count("*") == 8  # numbers masked as in the lists (SPEC S2)
    (event,) = _events(job, Action.JOB_SUCCEEDED)
    assert event.data["members"] == 2
    assert event.data["result_file"]["sha256"] == job.result_file.sha256


def test_a_clerks_export_holds_only_the_clerks_union(client, people, tree):
    add_member(tree.hutang_union_b, name="钱七", union_card="6231660000000000003")
    job = start_job(actor=people.hutang_clerk, kind=kinds.MEMBERS_EXPORT)
    run_job(job_id=job.pk)
    job.refresh_from_db()
    sign_in(client, people.hutang_clerk)
    download = client.get(reverse("console:stored_file", args=[job.result_file.pk]))
    assert [row[0] for row in _read_xlsx(b"".join(download.streaming_content))[1:]] == ["张三"]


def test_my_jobs_lists_ones_own_and_the_district_sees_all(client, people):
    own = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    other = start_job(actor=people.niutang_admin, kind=kinds.MEMBERS_EXPORT)
    job_url = reverse("console:job", args=[own.pk])
    sign_in(client, people.hutang_admin)
    listed = client.get(reverse("console:jobs")).content.decode()
    assert job_url in listed and reverse("console:job", args=[other.pk]) not in listed
    sign_in(client, people.niutang_admin)
    assert client.get(job_url).status_code == 404
    assert client.get(reverse("console:job_progress", args=[own.pk])).status_code == 404
    sign_in(client, people.district_admin)
    listed = client.get(reverse("console:jobs")).content.decode()
    assert job_url in listed and reverse("console:job", args=[other.pk]) in listed


def test_finance_and_auditors_cannot_start_an_export(client, people):
    sign_in(client, people.auditor)
    assert client.post(reverse("console:members_export")).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_the_fragment_keeps_polling_until_the_job_ends(client, people, status):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    Job.objects.filter(pk=job.pk).update(status=status, total=4, done=1)
    sign_in(client, people.hutang_admin)
    fragment = client.get(reverse("console:job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert '<progress max="100" value="25"' in fragment


def test_a_job_interrupted_by_stopping_the_worker_does_not_stay_running(people, test_kinds):
    job = start_job(actor=people.hutang_admin, kind="test.interrupted")
    with pytest.raises(KeyboardInterrupt):
        run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.outcome == "任务因系统停止而中断，请重新发起。"
    assert _events(job, Action.JOB_FAILED).count() == 1


def test_my_jobs_costs_the_same_queries_for_3_and_30_jobs(client, people):
    sign_in(client, people.district_admin)
    # One unfinished export per person: the earlier ones have ended, the last is queued.
    for _ in range(2):
        run_job(job_id=start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT).pk)
    start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("console:jobs"))
    for _ in range(27):
        run_job(job_id=start_job(actor=people.niutang_admin, kind=kinds.MEMBERS_EXPORT).pk)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("console:jobs")).content.decode()
    assert page.count("/console/jobs/") >= 30
    assert len(many.captured_queries) == len(few.captured_queries)
    for _ in range(30):
        run_job(job_id=start_job(actor=people.niutang_admin, kind=kinds.MEMBERS_EXPORT).pk)
    with CaptureQueriesContext(connection) as second_page:
        page = client.get(reverse("console:jobs") + "?page=2").content.decode()
    assert page.count("/console/jobs/") >= 10  # 60 jobs: the second page of 50
    assert len(second_page.captured_queries) == len(few.captured_queries)
