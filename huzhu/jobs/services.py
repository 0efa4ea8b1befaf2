"""Starting background jobs and running them (the worker calls `run_job`)."""

import logging
import socket
from functools import partial

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from huzhu.accounts.access import scope_path
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.files.models import StoredFile
from huzhu.files.services import FileRefused
from huzhu.jobs import kinds
from huzhu.jobs.kinds import JobError, JobResult
from huzhu.jobs.models import STALE_AFTER, Job, JobStatus
from huzhu.jobs.progress import Progress

logger = logging.getLogger(__name__)
TASK_PATH = "huzhu.jobs.tasks.run_job_task"


class JobAlreadyRunning(Exception):
    """The person already has a job of this kind queued or running: that one is `job`."""

    def __init__(self, job: Job):
        super().__init__(f"job {job.pk} of kind {job.kind} is not finished yet")
        self.job = job


def start_job(*, actor, kind: str, input_file: StoredFile | None = None, secret: str = "") -> Job:
    """Record the job and queue its task once the record is committed (the worker must
    find the row it is given). One unfinished job of a kind per person: a second start
    (a double click, ten quick ones, two tabs) raises JobAlreadyRunning with the first.
    `secret`: already encrypted by the caller; kept only until the job ends."""
    if kind not in kinds.RUNNERS:
        raise ValueError(f"unknown job kind {kind!r}")
    from huzhu.jobs.tasks import run_job_task

    # A job left "running" by a killed worker must not block its starter for ever.
    fail_stalled_jobs()
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                started_by=actor,
                unit_path=scope_path(actor),
                input_file=input_file,
                input_sha256=input_file.sha256 if input_file is not None else "",
                secret=secret,
                created_at=timezone.now(),
            )
            transaction.on_commit(partial(run_job_task.enqueue, job.pk))
    except IntegrityError:
        # The partial unique constraint: checked by the database, so two requests at the
        # same moment cannot both pass a check made here first.
        running = Job.objects.filter(
            started_by=actor, kind=kind, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        ).first()
        if running is None:
            raise
        raise JobAlreadyRunning(running) from None
    return job


def fail_stalled_jobs(*, worker_starting: bool = False) -> int:
    """Mark as failed the jobs whose worker is gone, each with its one audit event; return
    how many.

    A running job is gone when its heartbeat is older than STALE_AFTER, or, with
    `worker_starting` (this host's one worker is starting, so none of the jobs it claimed
    can be running), whatever its heartbeat. A queued job is gone when the queue no longer
    holds its task waiting (a worker killed between taking the task and claiming the job,
    or the task pruned): it would never run, and would block its starter's next job of the
    kind. A queued job whose task still waits is left, however long: the worker may just
    not be running yet."""
    now = timezone.now()
    cutoff = now - STALE_AFTER
    stale = Job.objects.filter(status=JobStatus.RUNNING)
    if worker_starting:
        stale = stale.filter(worker_host=_host())
    else:
        stale = stale.filter(
            models.Q(heartbeat_at__lt=cutoff)
            | models.Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        )
    outcome = _(
        "The job was interrupted: the background worker stopped while it was running. "
        "Please start it again."
    )
    failed = 0
    for job in stale.select_related("started_by", "input_file"):
        logger.warning("job %s (%s) lost its worker; marked interrupted", job.pk, job.kind)
        # Only if it is still as found: a job that beat or ended meanwhile is left alone.
        failed += _finish(
            job,
            JobStatus.FAILED,
            JobResult(outcome=outcome),
            done=job.done,
            heartbeat_at=job.heartbeat_at,
        )
    for job in Job.objects.filter(status=JobStatus.QUEUED, created_at__lt=cutoff).select_related(
        "started_by", "input_file"
    ):
        if _task_may_still_run(job, cutoff=cutoff):
            continue
        logger.warning("job %s (%s) lost its queued task; marked interrupted", job.pk, job.kind)
        failed += _finish(
            job, JobStatus.FAILED, JobResult(outcome=outcome), done=0, was=JobStatus.QUEUED
        )
    return failed


def _task_may_still_run(job: Job, *, cutoff) -> bool:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH, args_kwargs__args__0=job.pk)
    return tasks.filter(
        models.Q(status=TaskResultStatus.READY)
        | models.Q(status=TaskResultStatus.RUNNING, started_at__gte=cutoff)
    ).exists()


def _host() -> str:
    return socket.gethostname()[:255]


def run_job(*, job_id: int) -> None:
    """Do a queued job's work. Claimed with a conditional update, so a job queued twice
    (or picked up by two workers) runs once."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker_host=_host()
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
    except (JobError, FileRefused) as exc:
        # FileRefused: a file it wrote could not be kept (a full disk), said in Chinese.
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


def _finish(
    job: Job,
    status: JobStatus,
    result: JobResult,
    *,
    done: int,
    was: JobStatus = JobStatus.RUNNING,
    **still: object,
) -> bool:
    """The job's end, and its one audit event: who, which kind, which files, the counts.

    Written only if the job is still running (`was`; and, for the sweep, still as it was
    found: `still`), so a job ends once and has one audit event even when two ends race (the
    worker finishing a job the sweep has just given up on). Returns whether it ended here."""
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
        ended = Job.objects.filter(pk=job.pk, status=was, **still).update(
            status=job.status,
            done=job.done,
            outcome=job.outcome,
            result_file=job.result_file,
            error_file=job.error_file,
            finished_at=job.finished_at,
            secret="",
        )
        if not ended:
            logger.warning("job %s had already ended; its end is not written twice", job.pk)
            return False
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
    return True
