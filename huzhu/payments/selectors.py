"""Reads of the finance pages (SPEC D3–D7, §12 Finance). Batches and refunds are the
district's: the pages that call these are open only to finance, the district admin and the
auditor (huzhu.accounts.roles.can_read_finance), so there is no narrower scope to apply."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from huzhu.money import to_fen
from huzhu.payments.models import DeductionBatch, DeductionItem, DeductionJob, Outcome, Refund


def _figures(prefix: str = "") -> dict:
    def outcome(value):
        return Q(**{f"{prefix}outcome": value})

    amount = f"{prefix}amount"
    count = f"{prefix}pk" if prefix else "pk"
    return {
        "debited_n": Count(count, filter=outcome(Outcome.DEBITED)),
        "debited_sum": Sum(amount, filter=outcome(Outcome.DEBITED)),
        "failed_n": Count(count, filter=outcome(Outcome.FAILED)),
        "failed_sum": Sum(amount, filter=outcome(Outcome.FAILED)),
    }


def batches(*, year: int | None = None) -> QuerySet[DeductionBatch]:
    """Newest first, each with its debited and failed counts and amounts: one query a page,
    however many batches it shows."""
    found = DeductionBatch.objects.select_related("created_by")
    if year is not None:
        found = found.filter(year=year)
    return found.annotate(**_figures("items__")).order_by("-created_at", "-pk")


def batch_years() -> list[int]:
    return list(DeductionBatch.objects.order_by("-year").values_list("year", flat=True).distinct())


@dataclass(frozen=True)
class Figures:
    debited_n: int
    debited_sum: Decimal
    failed_n: int
    failed_sum: Decimal
    pending_n: int


def batch_figures(batch: DeductionBatch) -> Figures:
    row = DeductionItem.objects.filter(batch=batch).aggregate(
        **_figures(), pending_n=Count("pk", filter=Q(outcome=Outcome.PENDING))
    )
    return Figures(
        debited_n=row["debited_n"],
        debited_sum=to_fen(row["debited_sum"] or Decimal(0)),
        failed_n=row["failed_n"],
        failed_sum=to_fen(row["failed_sum"] or Decimal(0)),
        pending_n=row["pending_n"],
    )


def batch_items(*, batch: DeductionBatch, outcome: str = "") -> QuerySet[DeductionItem]:
    """In file order, with the member and grassroots union each line is for."""
    items = DeductionItem.objects.filter(batch=batch).select_related(
        "enrollment__member", "enrollment__organizing_unit", "enrollment__grassroots_union"
    )
    if outcome:
        items = items.filter(outcome=outcome)
    return items.order_by("seq")


def result_uploads(batch: DeductionBatch) -> QuerySet[DeductionJob]:
    """The result files handed in on the batch's page, newest first, with their jobs."""
    return (
        DeductionJob.objects.filter(batch=batch, job__input_file__isnull=False)
        .select_related("job__input_file", "job__started_by")
        .order_by("-job__created_at", "-pk")
    )


def refunds_open() -> QuerySet[Refund]:
    return Refund.objects.filter(made_at__isnull=True).select_related("enrollment__member")


def refunds_made() -> QuerySet[Refund]:
    return (
        Refund.objects.filter(made_at__isnull=False)
        .select_related("enrollment__member", "made_by")
        .order_by("-made_at", "-pk")
    )


def is_request_file(stored_id: int) -> bool:
    """Whether a stored file is a batch's request file (full ID and card numbers)."""
    return DeductionBatch.objects.filter(request_file_id=stored_id).exists()


def is_result_upload(stored_id: int) -> bool:
    """Whether a stored file was uploaded as a bank result file (full card numbers)."""
    return DeductionJob.objects.filter(job__input_file_id=stored_id).exists()


def batch_of_job(job) -> DeductionBatch | None:
    link = DeductionJob.objects.filter(job=job).select_related("batch").first()
    return link.batch if link is not None else None
