"""A background job's progress is seen moving by another connection while the job runs, on
whichever database the suite runs on (SQLite by default, PostgreSQL with DATABASE_URL).

The job runs the real way: `start_job` queues it through django-tasks' database backend,
and django-tasks-db's own worker loop, in a thread with its own connection, claims and runs
it. The job waits for the test at each step, so what the test reads is not a matter of
timing: done=1 of 3, then 2 of 3, then 3 of 3, then the end."""

import threading

import pytest
from django.db import connection, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.jobs import progress
from huzhu.jobs.models import Job, JobRow, JobStatus
from huzhu.jobs.services import run_job, start_job
from huzhu.members import export_job
from tests.conftest import add_member
from tests.jobs import steps


def _worker() -> threading.Thread:
    def work():
        try:
            Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=1,
                worker_id="test-worker",
                excluded_queue_names=[],
            ).run()
        finally:
            connections.close_all()

    return threading.Thread(target=work, daemon=True)


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_moving_by_another_connection(people, test_kinds):
    steps.reset()
    job = start_job(actor=people.hutang_admin, kind="test.steps")
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "huzhu.jobs.tasks.run_job_task"
    assert queued.args_kwargs["args"] == [job.pk]

    worker = _worker()
    worker.start()
    seen = []
    try:
        for step in range(1, steps.TOTAL + 1):
            assert steps.reached[step].wait(timeout=60), f"the job never reached step {step}"
            # This thread's own connection, outside the worker's: only committed rows.
            seen.append(Job.objects.values_list("status", "done", "total").get(pk=job.pk))
            steps.go[step].set()
    finally:
        for event in steps.go:
            event.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert connection.vendor in ("sqlite", "postgresql")
    assert seen == [("running", 1, 3), ("running", 2, 3), ("running", 3, 3)]

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.done, job.total, job.outcome) == (3, 3, "三行已处理。")
    assert job.started_at <= job.finished_at
    assert job.finished_at.tzinfo is not None
    assert list(JobRow.objects.filter(job=job).values_list("number", "ok")) == [
        (1, True),
        (2, False),
        (3, True),
    ]
    # One audit event for the whole job, with its counts; none per row.
    (event,) = AuditEvent.objects.filter(object_id=str(job.pk), action=Action.JOB_SUCCEEDED)
    assert event.actor_user == people.hutang_admin
    assert event.data["accepted"] == 2 and event.data["refused"] == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_export_commits_progress_while_it_streams_members(people, tree, monkeypatch):
    """Progress written between two fetches of a streamed query: SQLite and PostgreSQL
    both allow the commit while the query's cursor is still open."""
    for n in range(5):
        add_member(
            tree.hutang_union_b, name="职工" + "甲乙丙丁戊"[n], union_card=f"62316600000001000{n}"
        )
    monkeypatch.setattr(export_job, "FETCH", 2)
    monkeypatch.setattr(progress, "EVERY", 1)
    written = []
    flush = progress.Progress.flush

    def watched(self):
        flush(self)
        written.append(Job.objects.values_list("done", flat=True).get(pk=self.job.pk))

    monkeypatch.setattr(progress.Progress, "flush", watched)
    job = start_job(actor=people.hutang_admin, kind="members.export")
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 6, 6)
    assert written[:6] == [1, 2, 3, 4, 5, 6]
