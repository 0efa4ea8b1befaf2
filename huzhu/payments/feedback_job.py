"""The failure SMS as a background job (kind `payments.notify_failures`): every settled
batch's failed items not yet told (SPEC D8). The console starts it after a result file is
applied; running it again sends nothing twice (huzhu.payments.feedback.notify_failures)."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from huzhu.jobs import kinds
from huzhu.jobs.kinds import JobResult
from huzhu.jobs.models import Job
from huzhu.jobs.progress import Progress
from huzhu.jobs.services import start_job
from huzhu.payments.feedback import batches_with_pending_notices, notify_failures


def start_failure_notices(*, actor) -> Job:
    """Queue the job (JobAlreadyRunning when the actor's previous one is not finished)."""
    return start_job(actor=actor, kind=kinds.PAYMENTS_NOTIFY_FAILURES)


def notify_failures_job(*, job: Job, progress: Progress) -> JobResult:
    batches = list(
        batches_with_pending_notices().annotate(
            waiting=Count("items", filter=Q(items__outcome="failed", items__notified_at=None))
        )
    )
    progress.start(sum(b.waiting for b in batches))
    sent = no_phone = failed = 0
    for batch in batches:
        done = notify_failures(batch, actor=job.started_by, advance=progress.advance)
        sent += done.sent
        no_phone += done.no_phone
        failed += done.send_failed
    return JobResult(
        outcome=_(
            "%(sent)s failure notices sent; %(no_phone)s members have no phone on file; "
            "%(failed)s could not be sent."
        )
        % {"sent": sent, "no_phone": no_phone, "failed": failed},
        counts={"sent": sent, "no_phone": no_phone, "send_failed": failed},
    )
