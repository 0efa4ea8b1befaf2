"""Recovery (追回, SPEC B-X3, §14): an event found excluded after payment.

The reviewer records the exclusion on the paid claim; the year's entitlement is computed
again from the benefit ledger's point of view, and what was paid beyond it becomes a
recovery case with a required reason and a method: repaid by the member, or kept back from
a later payout (huzhu.claims.payouts). The benefit ledger takes a reversal at once (so the
next claim's "already paid" is right); the fund ledger takes each amount when it is
actually recovered.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.models import User
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims import rules, services
from huzhu.claims.models import (
    BenefitEntryKind,
    ClaimState,
    RecoveryCase,
    RecoveryMethod,
    RecoveryPayment,
    RecoveryState,
)
from huzhu.ledger.services import LedgerError, parse_amount, post_recovery_payment
from huzhu.money import format_yuan

ClaimError = rules.ClaimError
ZERO = Decimal(0)
# Of a long reason, what the member's text message quotes.
TOLD_CHARS = 150


def overpaid(claim) -> Decimal:
    """What the member holds beyond the entitlement the claim's facts give now: the year's
    (for a work injury: the injury's) grants less the entitlement recomputed."""
    case = services.full_case(claim)
    decision, _policy = services.decide_case({**case, "already_paid": "0"})
    granted = services.already_paid(
        member_id=claim.member_id,
        year=claim.year,
        benefit=claim.benefit,
        injured_on=claim.injured_on,
    )
    return max(granted - decision.entitlement, ZERO)


def open_recovery(
    *,
    claim_id: int,
    actor: User,
    exclusions: Sequence[str] | dict[int, Sequence[str]],
    reason: str,
    method: str,
    request=None,
) -> RecoveryCase | None:
    """Record exclusions found after payment (B-X1, B-X2) on a paid claim. When the year's
    entitlement falls below what was paid, a recovery case is opened for the difference and
    the claim becomes `recovered`; otherwise the finding is kept and nothing is owed (None)."""
    reason = services.required_reason(reason, _("Give the reason for the recovery."))
    if method not in RecoveryMethod.values:
        raise ClaimError("method", _("Choose how the money is recovered."), "method")
    with transaction.atomic():
        claim = services.locked_claim(claim_id)
        services.check_state(claim, ClaimState.PAID)
        services.write_exclusions(claim, exclusions)
        amount = overpaid(claim)
        record_event(
            action=Action.CLAIM_FACTS,
            actor=actor,
            target=claim,
            request=request,
            summary=f"#{claim.pk}",
            data={"exclusions": services.exclusions_json(exclusions), "reason": reason[:200]},
        )
        if amount <= 0:
            services.note(
                claim,
                actor=actor,
                reason=_(
                    "Exclusion found after payment; the year's entitlement is unchanged: %(reason)s"
                )
                % {"reason": reason},
            )
            return None
        services.book(
            claim=claim,
            amount=-amount,
            kind=BenefitEntryKind.REVERSAL,
            reason=reason,
            actor=actor,
        )
        case = RecoveryCase.objects.create(
            claim=claim,
            member_id=claim.member_id,
            year=claim.year,
            amount=amount,
            reason=reason[:500],
            method=method,
            unit_path=claim.unit_path,
            opened_by=actor,
            opened_at=timezone.now(),
        )
        services.pin_decision(claim=claim, step=ClaimState.RECOVERED, actor=actor)
        how = RecoveryMethod(method).label
        services.move(
            claim,
            ClaimState.RECOVERED,
            actor=actor,
            reason=reason,
            message=_(
                "Claim #%(pk)s was found excluded after payment (%(reason)s): %(amount)s "
                "yuan is to be recovered, by %(method)s."
            )
            % {
                "pk": claim.pk,
                # Short enough that the amount and the method are always told (C5).
                "reason": reason if len(reason) <= TOLD_CHARS else reason[:TOLD_CHARS] + "…",
                "amount": format_yuan(amount),
                "method": how,
            },
            request=request,
        )
        record_event(
            action=Action.RECOVERY_OPEN,
            actor=actor,
            target=case,
            request=request,
            summary=f"#{claim.pk} {format_yuan(amount)}",
            data={"claim": claim.pk, "amount": format_yuan(amount), "method": method},
        )
    return case


def outstanding(case: RecoveryCase) -> Decimal:
    return case.amount - case.recovered


def record_repayment(
    *, case_id: int, amount_text: str, actor: User, memo: str = "", request=None
) -> RecoveryPayment:
    """Money the member paid back for a recovery case, booked in the fund ledger today."""
    try:
        amount = parse_amount(amount_text)
    except LedgerError as exc:
        raise ClaimError("amount", exc.message, "amount") from exc
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise ClaimError("missing", _("There is no such recovery case."))
        if case.state != RecoveryState.OPEN:
            raise ClaimError("closed", _("This recovery case is already closed."))
        if amount <= 0 or amount > outstanding(case):
            raise ClaimError(
                "amount",
                _("Enter an amount above 0 and at most the %(left)s yuan still owed.")
                % {"left": format_yuan(outstanding(case))},
                "amount",
            )
        payment = settle(case=case, amount=amount, actor=actor, memo=memo)
        record_event(
            action=Action.RECOVERY_PAYMENT,
            actor=actor,
            target=case,
            request=request,
            summary=f"{format_yuan(amount)}",
            data={"case": case.pk, "amount": format_yuan(amount)},
        )
    return payment


def settle(
    *, case: RecoveryCase, amount: Decimal, actor: User | None, memo: str = "", payout_item=None
) -> RecoveryPayment:
    """Record money recovered for a locked case (a repayment, or an offset kept back from
    `payout_item`), with its fund-ledger entry; the case closes when nothing is owed."""
    payment = RecoveryPayment.objects.create(
        case=case,
        amount=amount,
        payout_item=payout_item,
        recorded_at=timezone.now(),
        recorded_by=actor,
        memo=memo[:200],
    )
    post_recovery_payment(payment=payment, actor=actor)
    case.recovered += amount
    if case.recovered >= case.amount:
        case.state = RecoveryState.RECOVERED
        case.closed_at = timezone.now()
    case.save(update_fields=["recovered", "state", "closed_at"])
    return payment
