"""Jobs against impatience and accidents: ten quick clicks, a forged form, a worker killed
in the middle, an end written twice, a job with nothing to do, and very many row outcomes."""

import errno
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.files import services as store
from huzhu.files.models import StoredFile
from huzhu.jobs import kinds, progress, services
from huzhu.jobs.kinds import JobResult
from huzhu.jobs.models import STALE_AFTER, Job, JobRow, JobStatus
from huzhu.jobs.progress import Progress, RowLog
from huzhu.jobs.services import JobAlreadyRunning, fail_stalled_jobs, run_job, start_job
from tests.conftest import sign_in

INTERRUPTED = "任务中断：后台进程在任务运行中停止，请重新发起。"


def _events(job):
    return AuditEvent.objects.filter(object_type="jobs.job", object_id=str(job.pk))


def test_ten_quick_export_clicks_start_one_export(client, people):
    sign_in(client, people.hutang_admin)
    answers = [client.post(reverse("console:members_export")) for _ in range(10)]
    job = Job.objects.get()
    assert {answer.url for answer in answers} == {reverse("console:job", args=[job.pk])}
    page = client.get(answers[-1].url).content.decode()
    assert "您之前发起的导出尚未完成" in page


def test_an_export_can_be_started_again_once_the_first_has_ended(client, people):
    sign_in(client, people.hutang_admin)
    client.post(reverse("console:members_export"))
    run_job(job_id=Job.objects.get().pk)
    client.post(reverse("console:members_export"))
    assert Job.objects.count() == 2


def test_another_persons_unfinished_export_does_not_block_mine(people):
    start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    start_job(actor=people.hutang_clerk, kind=kinds.MEMBERS_EXPORT)
    assert Job.objects.count() == 2


def test_start_job_names_the_unfinished_job_it_refused_to_duplicate(people):
    first = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    with pytest.raises(JobAlreadyRunning) as refused:
        start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    assert refused.value.job == first


def test_the_database_refuses_a_second_unfinished_job_of_a_kind_for_one_person(people):
    """Two requests at the same instant both pass any check made in Python; the partial
    unique constraint is what stops the second."""
    fields = {
        "kind": kinds.MEMBERS_EXPORT,
        "started_by": people.hutang_admin,
        "unit_path": people.hutang_admin.unit.path,
        "created_at": timezone.now(),
    }
    Job.objects.create(**fields, status=JobStatus.RUNNING)
    Job.objects.create(**fields, status=JobStatus.SUCCEEDED)  # ended ones do not count
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(**fields)


def test_starting_an_export_needs_the_forms_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, people.hutang_admin)
    response = client.post(reverse("console:members_export"))
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona", ["anonymous", "member"])
def test_outsiders_reach_no_job_page_and_start_nothing(client, people, persona):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    if persona == "member":
        from huzhu.portal.views import SESSION_KEY  # noqa: PLC0415

        session = client.session
        session[SESSION_KEY] = people.member.pk
        session.save()
    for url in (
        reverse("console:job", args=[job.pk]),
        reverse("console:job_progress", args=[job.pk]),
        reverse("console:jobs"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/console/login" in response.url
    client.post(reverse("console:members_export"))
    assert Job.objects.count() == 1


def _running(job, *, silent_for):
    beat = timezone.now() - silent_for
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=beat, heartbeat_at=beat, total=10, done=3
    )


def test_a_job_whose_worker_was_killed_is_shown_interrupted_once(client, people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    _running(job, silent_for=STALE_AFTER + timedelta(seconds=1))
    sign_in(client, people.hutang_admin)
    fragment = client.get(reverse("console:job_progress", args=[job.pk])).content.decode()
    assert INTERRUPTED in fragment and "hx-trigger" not in fragment
    client.get(reverse("console:job", args=[job.pk]))
    client.get(reverse("console:jobs"))
    job.refresh_from_db()
    assert (job.status, job.done, job.outcome) == (JobStatus.FAILED, 3, INTERRUPTED)
    assert [e.action for e in _events(job)] == [Action.JOB_FAILED]


def test_the_job_list_marks_a_job_whose_worker_was_killed(client, people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    _running(job, silent_for=STALE_AFTER * 2)
    sign_in(client, people.district_admin)
    listed = client.get(reverse("console:jobs")).content.decode()
    assert "任务中断" in listed
    assert Job.objects.get().status == JobStatus.FAILED


def test_a_running_job_that_beats_is_left_running(client, people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    _running(job, silent_for=STALE_AFTER - timedelta(minutes=1))
    sign_in(client, people.hutang_admin)
    client.get(reverse("console:job_progress", args=[job.pk]))
    assert fail_stalled_jobs() == 0
    assert Job.objects.get().status == JobStatus.RUNNING
    assert not _events(job).exists()


def test_a_stalled_export_does_not_block_a_new_one(client, people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    _running(job, silent_for=STALE_AFTER * 3)
    sign_in(client, people.hutang_admin)
    client.post(reverse("console:members_export"))
    assert Job.objects.count() == 2
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_recovering_at_worker_start_ends_this_hosts_running_jobs_and_leaves_queued(people):
    lost = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    elsewhere = start_job(actor=people.niutang_admin, kind=kinds.MEMBERS_EXPORT)
    waiting = start_job(actor=people.hutang_clerk, kind=kinds.MEMBERS_EXPORT)
    _running(lost, silent_for=timedelta(seconds=5))
    _running(elsewhere, silent_for=timedelta(seconds=5))
    Job.objects.filter(pk=lost.pk).update(worker_host=services._host())
    Job.objects.filter(pk=elsewhere.pk).update(worker_host="another-server")
    call_command("jobs_recover")
    assert Job.objects.get(pk=lost.pk).status == JobStatus.RUNNING  # still beating recently
    call_command("jobs_recover", "--worker-starting")
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        lost.pk: JobStatus.FAILED,
        elsewhere.pk: JobStatus.RUNNING,
        waiting.pk: JobStatus.QUEUED,
    }


def test_claiming_a_job_records_its_heartbeat_and_host(people, test_kinds):
    job = start_job(actor=people.hutang_admin, kind="test.refusing")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.heartbeat_at == job.started_at and job.worker_host == services._host()


def test_progress_beats_on_time_even_between_batches(people, monkeypatch):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job.refresh_from_db()
    clock = [1000.0]
    monkeypatch.setattr(progress, "monotonic", lambda: clock[0])
    counter = Progress(job, every=500)
    counter.start(10_000)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=None)
    counter.advance()
    assert Job.objects.get().heartbeat_at is None  # one row, a second later: nothing written
    clock[0] += 61
    counter.advance()
    beaten = Job.objects.get()
    assert beaten.heartbeat_at is not None and beaten.done == 2


def test_the_end_of_a_job_is_written_once_even_if_finish_runs_twice(people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job.refresh_from_db()
    assert services._finish(job, JobStatus.SUCCEEDED, JobResult(outcome="完成。"), done=0)
    assert not services._finish(job, JobStatus.FAILED, JobResult(outcome="失败。"), done=0)
    job.refresh_from_db()
    assert (job.status, job.outcome) == (JobStatus.SUCCEEDED, "完成。")
    assert _events(job).count() == 1


def test_a_worker_finishing_a_job_the_sweep_gave_up_on_does_not_end_it_again(people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    _running(job, silent_for=STALE_AFTER * 2)
    job.refresh_from_db()
    assert fail_stalled_jobs() == 1
    assert not services._finish(job, JobStatus.SUCCEEDED, JobResult(outcome="完成。"), done=10)
    job.refresh_from_db()
    assert job.outcome == INTERRUPTED and _events(job).count() == 1


def test_a_runner_failing_after_writing_rows_fails_and_keeps_the_rows(people, test_kinds):
    job = start_job(actor=people.hutang_clerk, kind="test.fails_midway")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_file is None
    assert job.outcome.startswith("任务因系统错误而中止")
    assert job.done == 2  # what the page had been shown
    assert JobRow.objects.filter(job=job).count() == 2
    assert _events(job).get().data["done"] == 2


def test_a_job_with_nothing_to_do_ends_full_and_says_0_of_0(client, people, test_kinds):
    job = start_job(actor=people.hutang_admin, kind="test.empty")
    run_job(job_id=job.pk)
    sign_in(client, people.hutang_admin)
    fragment = client.get(reverse("console:job_progress", args=[job.pk])).content.decode()
    assert '<progress max="100" value="100"' in fragment
    assert "0 / 0" in fragment or "共 0" in fragment


def test_many_row_outcomes_are_written_in_batches(people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    rows = RowLog(job)
    with CaptureQueriesContext(connection) as queries:
        for number in range(1, 2501):
            rows.add(number, ok=number % 10 != 0, message="" if number % 10 else "有误")
        rows.flush()
    inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
    # Batches of 1,000 (SQLite's limit on parameters splits them further): never one a row.
    assert len(inserts) <= 2500 // 100
    assert JobRow.objects.filter(job=job).count() == 2500
    assert (rows.accepted, rows.refused) == (2250, 250)


@pytest.mark.django_db(transaction=True)
def test_two_exports_started_at_the_same_instant_make_one_job(people, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    # Both requests are past everything before the insert when either inserts.
    ready = threading.Barrier(2, timeout=30)

    def sweep_then_wait(**kwargs):
        ready.wait()
        return 0

    monkeypatch.setattr(services, "fail_stalled_jobs", sweep_then_wait)
    outcomes: list[object] = []
    lock = threading.Lock()

    def start():
        try:
            result: object = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT).pk
        except JobAlreadyRunning as refused:
            result = ("refused", refused.job.pk)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job = Job.objects.get()
    assert sorted(outcomes, key=str) == sorted([job.pk, ("refused", job.pk)], key=str)


def test_rows_added_after_the_count_raise_the_total_instead_of_failing_the_job(people, test_kinds):
    job = start_job(actor=people.hutang_admin, kind="test.more_than_counted")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 3, 3)


def test_an_export_on_a_full_disk_fails_saying_so_and_keeps_no_file(
    people, monkeypatch, settings, tmp_path
):
    settings.HUZHU_FILES_DIR = tmp_path / "files"

    def replace(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "replace", replace)
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "磁盘已满" in job.outcome
    assert job.result_file is None and not StoredFile.objects.exists()
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


def _queued_long_ago(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - STALE_AFTER * 2)
    return job


def test_a_queued_job_whose_task_waits_stays_queued_however_old(
    people, django_capture_on_commit_callbacks
):
    job = _queued_long_ago(people, django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.get().status == "READY"
    assert fail_stalled_jobs(worker_starting=True) == 0
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


@pytest.mark.parametrize("task", ["pruned", "taken_by_a_killed_worker"])
def test_a_queued_job_whose_task_is_lost_is_interrupted_and_unblocks_its_starter(
    client, people, django_capture_on_commit_callbacks, task
):
    job = _queued_long_ago(people, django_capture_on_commit_callbacks)
    if task == "pruned":
        DBTaskResult.objects.all().delete()
    else:  # the queue's row says running since long ago, the job was never claimed
        DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now() - STALE_AFTER * 2)
    sign_in(client, people.hutang_admin)
    client.post(reverse("console:members_export"))
    assert Job.objects.count() == 2
    job.refresh_from_db()
    assert (job.status, job.outcome) == (JobStatus.FAILED, INTERRUPTED)
    assert _events(job).count() == 1


def test_a_job_still_queued_after_a_minute_says_the_worker_may_be_down(client, people):
    job = start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT)
    sign_in(client, people.hutang_admin)
    url = reverse("console:job_progress", args=[job.pk])
    assert "后台进程可能没有运行" not in client.get(url).content.decode()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    fragment = client.get(url).content.decode()
    assert "后台进程可能没有运行" in fragment and 'hx-trigger="every 1s"' in fragment
