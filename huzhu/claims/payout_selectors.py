"""Reads of the payout pages (SPEC C4, §12 Finance). Payout batches are the district's: the
pages that call these are open only to finance, the district admin and the auditor
(huzhu.accounts.roles.can_read_finance), so there is no narrower scope to apply."""

from django.db.models import Count, Q, QuerySet, Sum

from huzhu.claims.models import PayoutBatch, PayoutItem, PayoutOutcome


def _figures(prefix: str = "") -> dict:
    def outcome(value):
        return Q(**{f"{prefix}outcome": value})

    amount = f"{prefix}amount"
    count = f"{prefix}pk" if prefix else "pk"
    return {
        "paid_n": Count(count, filter=outcome(PayoutOutcome.PAID)),
        "paid_sum": Sum(amount, filter=outcome(PayoutOutcome.PAID)),
        "offset_sum": Sum(f"{prefix}offset", filter=outcome(PayoutOutcome.PAID)),
        "failed_n": Count(count, filter=outcome(PayoutOutcome.FAILED)),
        "failed_sum": Sum(amount, filter=outcome(PayoutOutcome.FAILED)),
        "pending_n": Count(count, filter=outcome(PayoutOutcome.PENDING)),
    }


def payout_batches() -> QuerySet[PayoutBatch]:
    """Newest first, each with its paid and failed counts and amounts: one query a page."""
    return (
        PayoutBatch.objects.select_related("created_by")
        .annotate(**_figures("items__"))
        .order_by("-created_at", "-pk")
    )


def payout_figures(batch: PayoutBatch) -> dict:
    return PayoutItem.objects.filter(batch=batch).aggregate(**_figures())


def payout_items(*, batch: PayoutBatch, outcome: str = "") -> QuerySet[PayoutItem]:
    items = PayoutItem.objects.filter(batch=batch).select_related(
        "claim__member", "claim__organizing_unit"
    )
    if outcome:
        items = items.filter(outcome=outcome)
    return items.order_by("seq")
