"""Writing the fund ledger (SPEC D9). Every entry is posted by the service that moves the
money, in that service's transaction, once per source (a batch's debits, a self-payment, a
refund made); a mistake is put right by `correct`, a new entry naming the one it corrects."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims.models import PayoutBatch, PayoutItem, PayoutOutcome, RecoveryPayment
from huzhu.dates import scheme_date, scheme_today
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.money import format_yuan
from huzhu.org.services import district
from huzhu.payments.models import DeductionBatch, DeductionItem, Outcome, Refund, SelfPayment

# The largest amount one entry may carry (14 digits, 2 places).
LIMIT = Decimal("999999999999.99")


class LedgerError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _post(*, actor: Actor, booked_on: datetime.date, **fields) -> LedgerEntry:
    user = actor if getattr(actor, "pk", None) else None
    return LedgerEntry.objects.create(
        recorded_at=timezone.now(),
        recorded_by=user,
        recorded_by_label=user.get_username() if user is not None else "system",
        booked_on=booked_on,
        **fields,
    )


def post_batch_income(
    *, batch: DeductionBatch, actor: Actor, booked_on: datetime.date
) -> LedgerEntry | None:
    """The fee income of a settled batch: one entry for all its debited items, booked on
    `booked_on`, the day its result file was recorded. None when the bank debited nothing."""
    figures = DeductionItem.objects.filter(batch=batch, outcome=Outcome.DEBITED).aggregate(
        n=Count("pk"), total=Sum("amount")
    )
    if not figures["n"]:
        return None
    return _post(
        actor=actor,
        booked_on=booked_on,
        kind=EntryKind.FEE_INCOME,
        amount=figures["total"],
        count=figures["n"],
        year=batch.year,
        reference=batch.number,
        memo=_("Collective deduction"),
        deduction_batch=batch,
    )


def post_self_payment(*, payment: SelfPayment) -> LedgerEntry:
    """A member's own payment, booked on the day it was paid (SPEC D2)."""
    return _post(
        actor=None,
        booked_on=scheme_date(payment.paid_at),
        kind=EntryKind.FEE_INCOME,
        amount=payment.amount,
        year=payment.enrollment.year,
        reference=payment.transaction_id[:80],
        memo=_("Self-payment"),
        self_payment=payment,
    )


def post_refund(*, refund: Refund, actor: Actor) -> LedgerEntry:
    """Money paid back (SPEC D7), booked the day the refund was made."""
    assert refund.made_at is not None
    return _post(
        actor=actor,
        booked_on=scheme_date(refund.made_at),
        kind=EntryKind.REFUND,
        amount=-refund.amount,
        year=refund.enrollment.year,
        reference=_("refund %(id)s") % {"id": refund.pk},
        memo=refund.reason[:200],
        refund=refund,
    )


def post_payout_batch(
    *, batch: PayoutBatch, actor: Actor, booked_on: datetime.date
) -> LedgerEntry | None:
    """The benefits paid by a settled payout batch (SPEC C4, D9): one entry for all its
    paid items, the amount sent to the cards plus what they offset of recoveries (the
    benefit paid; each offset is also a RECOVERY entry, so the fund's balance moves by what
    left it). The scheme year is the latest of its claims'. None when nothing was paid."""
    figures = PayoutItem.objects.filter(batch=batch, outcome=PayoutOutcome.PAID).aggregate(
        n=Count("pk"), sent=Sum("amount"), offset=Sum("offset"), year=Max("claim__year")
    )
    if not figures["n"]:
        return None
    return _post(
        actor=actor,
        booked_on=booked_on,
        kind=EntryKind.PAYOUT,
        amount=-(figures["sent"] + figures["offset"]),
        count=figures["n"],
        year=figures["year"],
        reference=batch.number,
        memo=_("Benefit payout"),
        payout_batch=batch,
    )


def post_recovery_payments(
    *,
    payments: list[RecoveryPayment],
    years: dict[int, int],
    actor: Actor,
    booked_on: datetime.date,
) -> list[LedgerEntry]:
    """One RECOVERY entry per recovery payment (SPEC B-X3, D9), inserted together;
    `years`: recovery case id → its scheme year."""
    user = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    return LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                recorded_at=now,
                recorded_by=user,
                recorded_by_label=user.get_username() if user is not None else "system",
                booked_on=booked_on,
                kind=EntryKind.RECOVERY,
                amount=payment.amount,
                year=years[payment.case_id],
                reference=(_("recovery %(id)s") % {"id": payment.case_id})[:80],
                memo=payment.memo[:200] or _("Recovery"),
                recovery_payment=payment,
            )
            for payment in payments
        ]
    )


def post_recovery_payment(*, payment: RecoveryPayment, actor: Actor) -> LedgerEntry:
    """A recovery payment (offset or repaid), booked the day it was recorded."""
    return post_recovery_payments(
        payments=[payment],
        years={payment.case_id: payment.case.year},
        actor=actor,
        booked_on=scheme_date(payment.recorded_at),
    )[0]


def parse_amount(text: str) -> Decimal:
    """A signed amount in yuan with at most two places, as typed by a person."""
    try:
        amount = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise LedgerError(_("Enter the amount in yuan, for example -30.00.")) from exc
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise LedgerError(_("Enter the amount in yuan with at most two decimal places."))
    if amount == 0 or abs(amount) > LIMIT:
        raise LedgerError(_("The amount must be non-zero and at most 999,999,999,999.99."))
    return amount


def correct(
    *, entry_id: int, amount: Decimal, reason: str, actor: Actor, seen: int | None = None
) -> LedgerEntry:
    """A correcting entry: same kind and source as the entry it names, the amount that puts
    it right (negative to take away), a reason required; audited. `seen`: how many
    corrections of the entry the person was shown; when there are more by now (the same
    form sent twice), nothing is recorded."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise LedgerError(_("Give the reason for the correction."))
    with transaction.atomic():
        entry = LedgerEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise LedgerError(_("There is no ledger entry %(id)s.") % {"id": entry_id})
        if entry.corrects_id is not None:
            raise LedgerError(_("Correct the original entry, not a correction."))
        if seen is not None and entry.corrections.count() != seen:
            raise LedgerError(
                _(
                    "A new correction of this entry was recorded since this form was opened "
                    "(the form sent twice?). Nothing was recorded: check the corrections "
                    "listed above before adding another."
                )
            )
        correction = _post(
            actor=actor,
            booked_on=scheme_today(),
            kind=entry.kind,
            amount=amount,
            count=0,
            year=entry.year,
            reference=entry.reference,
            memo=reason[:200],
            deduction_batch_id=entry.deduction_batch_id,
            self_payment_id=entry.self_payment_id,
            refund_id=entry.refund_id,
            payout_batch_id=entry.payout_batch_id,
            recovery_payment_id=entry.recovery_payment_id,
            corrects=entry,
        )
        record_event(
            action=Action.LEDGER_CORRECTION,
            actor=actor,
            target=correction,
            unit_path=district().path,
            summary=_("Ledger entry %(id)s corrected by %(amount)s yuan: %(reason)s")
            % {"id": entry.pk, "amount": format_yuan(amount), "reason": reason[:200]},
            data={"corrects": entry.pk, "amount": format_yuan(amount), "reason": reason[:200]},
        )
    return correction
