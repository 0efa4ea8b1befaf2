"""The kinds of background job, and the function that does each one's work.

A runner is called as `runner(job=job, progress=progress)` and returns a `JobResult`. It
raises `JobError` with a message for the person when the work cannot be done (a bad file);
any other exception is a fault: logged with its traceback, and the person is told the job
failed without the details.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from huzhu.files.models import StoredFile

MEMBERS_EXPORT = "members.export"
PAYMENTS_NOTIFY_FAILURES = "payments.notify_failures"
ROSTERS_CHECK = "rosters.check"
ROSTERS_IMPORT = "rosters.import"
PAYMENTS_BUILD = "payments.build"
PAYMENTS_APPLY = "payments.apply"

# Dotted paths, imported when a job runs: the registry stays free of the domain apps.
RUNNERS: dict[str, str] = {
    MEMBERS_EXPORT: "huzhu.members.export_job.export_members",
    PAYMENTS_NOTIFY_FAILURES: "huzhu.payments.feedback_job.notify_failures_job",
    ROSTERS_CHECK: "huzhu.rosters.jobs.check_roster",
    ROSTERS_IMPORT: "huzhu.rosters.jobs.import_checked_roster",
    PAYMENTS_BUILD: "huzhu.payments.jobs.build_batch",
    PAYMENTS_APPLY: "huzhu.payments.jobs.apply_result_file",
}
LABELS: dict[str, object] = {
    MEMBERS_EXPORT: _("member list export"),
    PAYMENTS_NOTIFY_FAILURES: _("deduction failure SMS"),
    ROSTERS_CHECK: _("roster check"),
    ROSTERS_IMPORT: _("roster import"),
    PAYMENTS_BUILD: _("deduction batch build"),
    PAYMENTS_APPLY: _("deduction result upload"),
}


class JobError(Exception):
    """The work cannot be done, for a reason the person can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class JobResult:
    outcome: str
    result_file: "StoredFile | None" = None
    error_file: "StoredFile | None" = None
    counts: dict[str, int] = field(default_factory=dict)


Runner = Callable[..., JobResult]


def label(kind: str) -> str:
    return str(LABELS.get(kind, kind))
