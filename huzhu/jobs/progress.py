"""Progress a page can watch: committed as the work goes, never inside its transaction.

A job that did its work in one `transaction.atomic()` and wrote its progress in there too
would show a second connection 0 and then 100%: nothing inside is visible until the end.
So progress is its own short transaction, `durable=True`, which Django refuses to open
inside another one: a job that tried to report progress from inside its main transaction
fails loudly at once instead of showing a bar that never moves. On SQLite this also keeps
the job from waiting on its own write lock. Work that must be all-or-nothing is done in
chunks, or checked in a first pass that reports progress and then written in one go.
"""

from time import monotonic

from django.db import transaction
from django.utils import timezone

from huzhu.jobs.models import HEARTBEAT, Job, JobRow, JobStatus

# How often a job commits its progress: often enough for a bar updated every second,
# rarely enough to cost nothing next to the work.
EVERY = 500


class Progress:
    def __init__(self, job: Job, *, every: int | None = None):
        self.job = job
        self.every = every or EVERY
        self.done = job.done
        self._written = job.done
        self._beat = monotonic()

    @property
    def committed(self) -> int:
        """The count a page has been shown: what the job reports when it ends."""
        return self._written

    def start(self, total: int) -> None:
        self.job.total = total
        with transaction.atomic(durable=True):
            Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(
                total=total, heartbeat_at=timezone.now()
            )
        self._beat = monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if (
            self.done - self._written >= self.every
            or monotonic() - self._beat >= HEARTBEAT.total_seconds()
        ):
            self.flush()

    def flush(self) -> None:
        """Commit the count, and with it the heartbeat that tells a live job from one whose
        worker was killed (huzhu.jobs.services.fail_stalled_jobs)."""
        if self.done == self._written:
            return
        # The total was counted before the work: rows added since (a member registered
        # while the export runs) raise it, rather than break `done <= total` and the job.
        if self.job.total is not None and self.done > self.job.total:
            self.job.total = self.done
        with transaction.atomic(durable=True):
            Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(
                done=self.done, total=self.job.total, heartbeat_at=timezone.now()
            )
        self.job.done = self._written = self.done
        self._beat = monotonic()

    def beat(self) -> None:
        """For a long step that advances nothing (one big query, writing the result file):
        say the job is alive."""
        with transaction.atomic(durable=True):
            Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(
                heartbeat_at=timezone.now()
            )
        self._beat = monotonic()


class RowLog:
    """Per-row outcomes, written in batches with bulk_create (never one audit row each)."""

    BATCH = 1000

    def __init__(self, job: Job):
        self.job = job
        self._pending: list[JobRow] = []
        self.accepted = 0
        self.refused = 0

    def add(self, number: int, *, ok: bool, message: str = "") -> None:
        self._pending.append(JobRow(job=self.job, number=number, ok=ok, message=message))
        if ok:
            self.accepted += 1
        else:
            self.refused += 1
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            JobRow.objects.bulk_create(self._pending)
            self._pending = []
