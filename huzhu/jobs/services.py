"""Starting background jobs and running them (the worker calls `run_job`)."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from huzhu.accounts.access import scope_path
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.files.models import StoredFile
from huzhu.jobs import kinds
from huzhu.jobs.kinds import JobError, JobResult
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.progress import Progress

logger = logging.getLogger(__name__)


def start_job(*, actor, kind: str, input_file: StoredFile | None = None) -> Job:
    """Record the job and queue its task once the record is committed (the worker must
    find the row it is given)."""
    if kind not in kinds.RUNNERS:
        raise ValueError(f"unknown job kind {kind!r}")
    from huzhu.jobs.tasks import run_job_task

    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            started_by=actor,
            unit_path=scope_path(actor),
            input_file=input_file,
            input_sha256=input_file.sha256 if input_file is not None else "",
            created_at=timezone.now(),
        )
        transaction.on_commit(partial(run_job_task.enqueue, job.pk))
    return job


def run_job(*, job_id: int) -> None:
    """Do a queued job's work. Claimed with a conditional update, so a job queued twice
    (or picked up by two workers) runs once."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("job %s is not queued any more; not run again", job_id)
        return
    job = Job.objects.select_related("started_by", "input_file").get(pk=job_id)
    progress = Progress(job)
    try:
        runner: kinds.Runner = import_string(kinds.RUNNERS[job.kind])
        result = runner(job=job, progress=progress)
        progress.flush()
    except JobError as exc:
        logger.info("job %s (%s) refused its input: %s", job.pk, job.kind, exc.message)
        _finish(job, JobStatus.FAILED, JobResult(outcome=exc.message), done=progress.committed)
    except Exception:
        # The traceback is for the operator's log; the person reads a plain sentence.
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        outcome = _(
            "The job stopped because of an error in the system. Nothing was lost; please try "
            "again, and tell the district office if it fails again."
        )
        _finish(job, JobStatus.FAILED, JobResult(outcome=outcome), done=progress.committed)
    except BaseException:
        # The worker is being stopped in the middle of the job (a second Ctrl-C, or
        # systemd's stop timeout): say so on the job page rather than leave it "running".
        logger.warning("job %s (%s) interrupted: the worker is stopping", job.pk, job.kind)
        outcome = _(
            "The job was interrupted because the system was stopped. Please start it again."
        )
        _finish(job, JobStatus.FAILED, JobResult(outcome=outcome), done=progress.committed)
        raise
    else:
        _finish(job, JobStatus.SUCCEEDED, result, done=progress.committed)


def _finish(job: Job, status: JobStatus, result: JobResult, *, done: int) -> None:
    """The job's end, and its one audit event: who, which kind, which files, the counts."""
    job.status = status
    job.done = done if job.total is None else min(done, job.total)
    job.outcome = result.outcome
    job.result_file = result.result_file
    job.error_file = result.error_file
    job.finished_at = timezone.now()
    files = {
        "input": job.input_file,
        "result": result.result_file,
        "errors": result.error_file,
    }
    with transaction.atomic():
        job.save(
            update_fields=[
                "status",
                "done",
                "outcome",
                "result_file",
                "error_file",
                "finished_at",
            ]
        )
        record_event(
            action=Action.JOB_SUCCEEDED if status == JobStatus.SUCCEEDED else Action.JOB_FAILED,
            actor=job.started_by,
            target=job,
            unit_path=job.unit_path,
            summary=f"{kinds.label(job.kind)}: {result.outcome}"[:500],
            data={
                "kind": job.kind,
                "done": job.done,
                "total": job.total,
                **result.counts,
                **{
                    f"{role}_file": {"name": f.original_name, "sha256": f.sha256}
                    for role, f in files.items()
                    if f is not None
                },
            },
        )
