from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
# A running job writes its heartbeat at least this often (huzhu.jobs.progress)...
HEARTBEAT = timedelta(minutes=1)
# ...so one silent for this long lost its worker (killed outright, power lost): it is
# marked interrupted (huzhu.jobs.services.fail_stalled_jobs) and may be started again.
STALE_AFTER = timedelta(minutes=10)


class Job(models.Model):
    """One piece of background work a person started, and how far it has got.

    The task queue (django-tasks) runs the work but keeps no progress: `done` and `total`
    live here and are committed as the work goes (huzhu.jobs.progress), so the job page
    sees them move."""

    kind = models.CharField(max_length=50)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # The starter's scope when the job began: what the work may read, and who may see it.
    unit_path = models.CharField(max_length=255)
    input_file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    input_sha256 = models.CharField(max_length=64, blank=True)
    # A secret the work needs while it runs (an encrypted workbook's password), encrypted
    # with the field key by whoever starts the job; wiped when the job ends.
    secret = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    # What the person reads when it ends: the outcome, or why it failed (in Chinese; the
    # traceback goes to the log only).
    outcome = models.TextField(blank=True)
    result_file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error_file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last time the running job said it was alive (claimed, or progress written).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The host whose worker claimed it: a worker starting on that host knows none of the
    # host's jobs can still be running (`huzhu jobs_recover --worker-starting`).
    worker_host = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            # "My jobs", newest first.
            models.Index(fields=["started_by", "-created_at"], name="jobs_by_starter"),
            # The district's list of every job in scope, newest first.
            models.Index(fields=["unit_path", "-created_at"], name="jobs_by_scope"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(done__lte=models.F("total")),
                name="jobs_done_within_total",
            ),
            # One unfinished job of a kind per person: ten quick clicks on "导出 Excel"
            # start one export, not ten (huzhu.jobs.services.start_job).
            models.UniqueConstraint(
                fields=["started_by", "kind"],
                condition=models.Q(status__in=UNFINISHED),
                name="jobs_one_unfinished_per_starter_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def label(self) -> str:
        from huzhu.jobs.kinds import label

        return label(self.kind)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def stalled(self, now: datetime) -> bool:
        """Running, but silent for longer than a live worker ever is."""
        beat = self.heartbeat_at or self.started_at
        return self.status == JobStatus.RUNNING and beat is not None and beat < now - STALE_AFTER

    @property
    def waiting_long(self) -> bool:
        """Still queued a minute after it was started: the worker may not be running."""
        return self.status == JobStatus.QUEUED and self.created_at < timezone.now() - HEARTBEAT

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


class JobRow(models.Model):
    """The outcome of one row of a job's input: accepted, or refused and why. Kept in the
    job's own table, bulk-written; the audit log holds one event for the whole job."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    ok = models.BooleanField()
    message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="jobs_one_outcome_per_row"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number}"
