"""Installations that ran the jobs before one unfinished job per person and kind was the
rule may hold several unfinished exports of one person: the migration that adds the rule
keeps the first and cancels the others, each with its one audit event."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("jobs", "0001_initial")]
AFTER = [("jobs", "0002_one_unfinished_job_and_heartbeat")]


@pytest.mark.django_db(transaction=True)
def test_the_rule_migration_cancels_duplicate_unfinished_jobs(people):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("jobs", "Job")
    fields = {
        "kind": "members.export",
        "started_by_id": people.hutang_admin.pk,
        "unit_path": people.hutang_admin.unit.path,
        "created_at": timezone.now(),
    }
    running = old.objects.create(**fields, status="running")
    doubles = [old.objects.create(**fields, status="queued") for _ in range(3)]
    ended = old.objects.create(**fields, status="succeeded")
    alone = old.objects.create(**{**fields, "started_by_id": people.hutang_clerk.pk})
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    from huzhu.audit.models import AuditEvent  # noqa: PLC0415
    from huzhu.jobs.models import Job  # noqa: PLC0415

    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        running.pk: "running",
        **{double.pk: "failed" for double in doubles},
        ended.pk: "succeeded",
        alone.pk: "queued",
    }
    cancelled = Job.objects.get(pk=doubles[0].pk)
    assert cancelled.outcome == "该任务与您同时发起的另一任务重复，已取消。"
    assert cancelled.finished_at is not None
    events = AuditEvent.objects.filter(action="job.failed")
    assert sorted(int(e.object_id) for e in events) == sorted(d.pk for d in doubles)
    assert {e.actor_user_id for e in events} == {people.hutang_admin.pk}
