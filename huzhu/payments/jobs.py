"""The background work of the finance pages (SPEC D3–D5): building a batch (`payments.build`)
and applying a bank's result file (`payments.apply`). Each calls the one service that does
the work — `create_batch`, `apply_result` — and says what happened in a sentence for the job
page; the link between the job and its year or batch is a DeductionJob row."""

import codecs
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from huzhu.claims.models import PayoutBatch
from huzhu.files.models import StoredFile
from huzhu.files.services import open_stored
from huzhu.jobs import kinds
from huzhu.jobs.kinds import JobError, JobResult
from huzhu.jobs.models import Job
from huzhu.jobs.progress import Progress
from huzhu.jobs.services import start_job
from huzhu.payments import bankfile
from huzhu.payments.bankfile import PaymentFileError
from huzhu.payments.feedback import notify_failures
from huzhu.payments.models import BatchState, DeductionBatch, DeductionJob
from huzhu.payments.services import applied_result, apply_result, create_batch

logger = logging.getLogger(__name__)


def start_build(*, actor, year: int) -> Job:
    """Queue the build of `year`'s batch. A second start while the person's first build is
    unfinished (a double click) raises JobAlreadyRunning with the first job."""
    with transaction.atomic():
        job = start_job(actor=actor, kind=kinds.PAYMENTS_BUILD)
        DeductionJob.objects.create(job=job, year=year)
    return job


def start_apply(*, actor, batch: DeductionBatch, stored: StoredFile) -> Job:
    """Queue the application of a result file uploaded on `batch`'s page."""
    with transaction.atomic():
        job = start_job(actor=actor, kind=kinds.PAYMENTS_APPLY, input_file=stored)
        DeductionJob.objects.create(job=job, year=batch.year, batch=batch)
    return job


def precheck(content: bytes, batch: DeductionBatch | PayoutBatch) -> str | None:
    """Why a result file handed in on `batch`'s page (a deduction or a payout batch) cannot
    be its result, before anything reads it in full: not the bank's header, UTF-8 rather
    than GBK (its Chinese would be read as other characters without any error), another
    batch's file, or a batch whose result is already applied. None when the file may go to
    `apply_result` (`apply_payout_result`)."""
    bank = bankfile.bank_file_format()
    named = bank.result_batch_id(content)
    if named is None:
        return _("The file is not a bank result file: its first line must be H|batch|count|total.")
    if bank.encoding != "utf-8" and not content.isascii():
        try:
            codecs.getincrementaldecoder("utf-8")().decode(content, final=False)
        except UnicodeDecodeError:
            pass
        else:
            return _("The file is UTF-8 text; the bank's result files are GBK text.")
    if named != batch.number:
        return _("The file is the result of batch %(named)s, not of batch %(batch)s.") % {
            "named": named,
            "batch": batch.number,
        }
    if batch.state == BatchState.SETTLED:
        return _(
            "Batch %(batch)s already has its result applied; another file cannot be applied."
        ) % {"batch": batch.number}
    return None


def build_batch(*, job: Job, progress: Progress) -> JobResult:
    link = DeductionJob.objects.get(job=job)
    assert link.year is not None
    progress.start(1)
    try:
        batch = create_batch(year=link.year, actor=job.started_by)
    except PaymentFileError as exc:
        raise JobError(exc.message) from exc
    progress.advance(1)
    if batch is None:
        # Not a failure: every enrollment is paid, waiting in a batch, or not deductible.
        return JobResult(
            outcome=_(
                "Nothing to deduct for %(year)s: every authorized enrollment is paid or "
                "already in a batch waiting for the bank. No batch was built."
            )
            % {"year": link.year},
            counts={"items": 0},
        )
    DeductionJob.objects.filter(pk=link.pk).update(batch=batch)
    return JobResult(
        outcome=_("Batch %(number)s was built: %(n)s items, %(total)s yuan.")
        % {"number": batch.number, "n": batch.item_count, "total": bankfile.money(batch.total)},
        counts={"items": batch.item_count},
    )


def apply_result_file(*, job: Job, progress: Progress) -> JobResult:
    link = DeductionJob.objects.select_related("batch").get(job=job)
    assert job.input_file is not None and link.batch is not None
    try:
        with open_stored(job.input_file) as handle:
            content = handle.read()
    except FileNotFoundError:
        logger.error("deduction job %s: its result file is missing from the store", job.pk)
        raise JobError(_("The uploaded file is no longer on the server.")) from None
    progress.start(1)
    earlier = applied_result(job.input_sha256)
    refused = None if earlier is not None else precheck(content, link.batch)
    if refused:
        raise JobError(
            _("The result file was refused: %(reason)s Nothing was changed.") % {"reason": refused}
        )
    try:
        applied = apply_result(content=content, actor=job.started_by)
    except PaymentFileError as exc:
        raise JobError(
            _("The result file was refused: %(reason)s Nothing was changed.")
            % {"reason": exc.message}
        ) from exc
    progress.advance(1)
    if applied.already:
        return JobResult(
            outcome=_(
                "This result file was already applied to batch %(number)s. Nothing was changed."
            )
            % {"number": applied.batch.number},
            counts={"already": 1},
        )
    # SPEC D8: each member whose deduction failed is told at once, once.
    notified = notify_failures(applied.batch, actor=job.started_by)
    return JobResult(
        outcome=_(
            "The result of batch %(number)s was applied: %(debited)s debited, %(failed)s failed."
        )
        % {"number": applied.batch.number, "debited": applied.debited, "failed": applied.failed}
        + _(" Text messages sent to members whose deduction failed: %(sent)s.")
        % {"sent": notified.sent},
        counts={"debited": applied.debited, "failed": applied.failed, "sms": notified.sent},
    )
