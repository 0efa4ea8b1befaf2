"""Payouts of approved claims (SPEC C4, B-X3, D9): a batch of every approved claim to pay,
its request file for the bank in the layout of the deduction files (D4), and the bank's
result applied all or nothing (D5).

Each claim goes into a batch at most once at a time: the items go in with one insert that
skips a claim already holding a live (pending or paid) item — the partial unique index
`payout_one_live_item` decides, not the code. An approved claim whose member has an open
recovery case to be offset gets less on the card: the item carries the offset and its
case, and the offset becomes a recovery payment when the payout is paid."""

import hashlib
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims import notify, services
from huzhu.claims.models import (
    Claim,
    ClaimEvent,
    ClaimState,
    PayoutBatch,
    PayoutBatchState,
    PayoutFile,
    PayoutItem,
    PayoutOutcome,
    RecoveryCase,
    RecoveryMethod,
    RecoveryPayment,
    RecoveryState,
    RefusedPayoutFile,
)
from huzhu.claims.rules import ClaimError
from huzhu.dates import scheme_date
from huzhu.files import rules as file_rules
from huzhu.files.services import store_generated
from huzhu.ledger import services as ledger
from huzhu.members.models import Member
from huzhu.money import format_yuan
from huzhu.org.services import district
from huzhu.payments import bankfile
from huzhu.payments.bankfile import PaymentFileError
from huzhu.payments.services import record_refusal, request_content, write_request_lines
from huzhu.policy.selectors import current_policies

LIVE = (PayoutOutcome.PENDING, PayoutOutcome.PAID)
# The bank's code of a payout credited to the card (the same code as a debit in D4).
PAID_CODE = bankfile.DEBITED
# Attempts of a claim whose year has no policy (the policy's `payment.max_attempts` rules
# otherwise; docs/decisions.md "Payout attempts").
DEFAULT_MAX_ATTEMPTS = 3
CHUNK = 5000
ZERO = Decimal("0.00")


def _user(actor: Actor):
    return actor if getattr(actor, "pk", None) else None


def _label(actor: Actor) -> str:
    user = _user(actor)
    return user.get_username() if user is not None else "system"


# --- who is paid ---------------------------------------------------------------------------


def exhausted_q() -> Q:
    """Claims whose payouts failed as often as the policy of their year allows, or failed
    with a bank code that policy does not retry (SPEC §14): they wait for a person."""
    policies = current_policies()
    # Failures before a release by finance (Claim.payout_attempts_from) do not count.
    failed = PayoutItem.objects.filter(
        claim=OuterRef("pk"),
        outcome=PayoutOutcome.FAILED,
        attempt__gt=OuterRef("payout_attempts_from"),
    )
    since = OuterRef("payout_attempts_from")
    found = ~Q(year__in=list(policies)) & Q(
        Exists(failed.filter(attempt__gte=since + DEFAULT_MAX_ATTEMPTS))
    )
    for year, policy in policies.items():
        condition = Q(Exists(failed.filter(attempt__gte=since + policy.max_attempts)))
        if policy.retry_codes is not None:
            condition |= Q(Exists(failed.exclude(bank_code__in=policy.retry_codes)))
        found |= Q(year=year) & condition
    return found


def _waiting() -> QuerySet[Claim]:
    live = PayoutItem.objects.filter(claim=OuterRef("pk"), outcome__in=LIVE)
    return Claim.objects.filter(state=ClaimState.APPROVED, amount__gt=0).exclude(Exists(live))


def candidates() -> QuerySet[Claim]:
    """SPEC C4: approved, nothing live in a batch, a union card on file, attempts left."""
    return _waiting().exclude(member__union_card_encrypted="").exclude(exhausted_q()).order_by("pk")


def follow_up() -> QuerySet[Claim]:
    """Approved claims no batch will take (需人工跟进): their payouts failed too often or
    with a code not retried, or the member has no union card on file. Oldest first, with
    the last failure's code and message and the number of attempts."""
    failed = PayoutItem.objects.filter(claim=OuterRef("pk"), outcome=PayoutOutcome.FAILED).order_by(
        "-attempt", "-pk"
    )
    return (
        _waiting()
        .filter(exhausted_q() | Q(member__union_card_encrypted=""))
        .select_related("member", "organizing_unit")
        .annotate(
            attempts=Count("payouts", filter=Q(payouts__outcome=PayoutOutcome.FAILED)),
            last_code=Subquery(failed.values("bank_code")[:1]),
            last_message=Subquery(failed.values("bank_message")[:1]),
        )
        .order_by("decided_at", "pk")
    )


def release(*, claim_id: int, actor, reason: str, request=None) -> Claim:
    """Put a claim of the follow-up list back for payment (SPEC C4): the member's card was
    put right, so the failures so far no longer count toward the limit. A reason is
    required; the claim's history and the audit log keep it. Refused for a claim that is not
    waiting for a person, and for a member still without a union card."""
    reason = services.required_reason(reason)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None or not follow_up().filter(pk=claim_id).exists():
            raise ClaimError(
                "not_followed_up",
                _("This claim is not waiting for a person: reload the page."),
            )
        if not Member.objects.filter(pk=claim.member_id).exclude(union_card_encrypted="").exists():
            raise ClaimError(
                "no_card",
                _("The member has no union card on file: record the card first."),
            )
        failed = PayoutItem.objects.filter(claim=claim, outcome=PayoutOutcome.FAILED)
        claim.payout_attempts_from = failed.aggregate(last=Max("attempt"))["last"] or 0
        claim.save(update_fields=["payout_attempts_from", "updated_at"])
        services.note(
            claim,
            actor=_user(actor),
            reason=_("Put back for payment: %(reason)s") % {"reason": reason},
        )
        record_event(
            action=Action.CLAIM_CHANGE,
            actor=actor,
            target=claim,
            request=request,
            summary=f"#{claim.pk} payout released",
            data={"released_from_attempt": claim.payout_attempts_from, "reason": reason[:200]},
        )
    return claim


def _number() -> str:
    return f"P{timezone.now():%Y%m%d}{uuid.uuid4().hex[:10].upper()}"


def _open_offsets(member_ids: QuerySet) -> dict[int, list[list]]:
    """Member → [[case id, what is left to offset]] oldest first, the cases locked until
    the commit (two builds offset one case one after the other). What is left counts the
    offsets of payouts still waiting for the bank."""
    cases = list(
        RecoveryCase.objects.select_for_update()
        .filter(state=RecoveryState.OPEN, method=RecoveryMethod.OFFSET, member_id__in=member_ids)
        .order_by("pk")
        .values_list("pk", "member_id", "amount", "recovered", "opened_at")
    )
    if not cases:
        return {}
    pending = dict(
        PayoutItem.objects.filter(
            outcome=PayoutOutcome.PENDING, recovery_id__in=[case[0] for case in cases]
        )
        .values("recovery_id")
        .annotate(total=Sum("offset"))
        .values_list("recovery_id", "total")
    )
    found: dict[int, list[list]] = defaultdict(list)
    for pk, member_id, amount, recovered, _opened in sorted(cases, key=lambda c: (c[4], c[0])):
        left = amount - recovered - (pending.get(pk) or ZERO)
        if left > 0:
            found[member_id].append([pk, left])
    return found


def _items(batch: PayoutBatch, rows: list[tuple], offsets: dict[int, list[list]]):
    """The batch's items: each claim's amount less what it offsets of its member's oldest
    open case (one case per payout: item.recovery); paid-in-full offsets (nothing for the
    bank) numbered after the bank's lines."""
    bank: list[PayoutItem] = []
    settled: list[PayoutItem] = []
    for pk, member_id, amount, failed in rows:
        offset, case = ZERO, None
        cases = offsets.get(member_id)
        while cases and cases[0][1] <= 0:
            cases.pop(0)
        if cases:
            case = cases[0][0]
            offset = min(cases[0][1], amount)
            cases[0][1] -= offset
        item = PayoutItem(
            batch=batch,
            claim_id=pk,
            seq=0,
            amount=amount - offset,
            offset=offset,
            recovery_id=case,
            attempt=failed + 1,
        )
        (bank if item.amount > 0 else settled).append(item)
    for seq, item in enumerate(bank + settled, start=1):
        item.seq = seq
    return bank + settled


def _write_request_file(batch: PayoutBatch, handle: IO[bytes]) -> None:
    """SPEC C4, D4: the lines for the bank (the items with something to pay), GBK."""
    bank = bankfile.bank_file_format()
    handle.write(
        bank.request_header(batch_id=batch.number, count=batch.item_count, total=batch.total)
    )
    write_request_lines(
        rows=PayoutItem.objects.filter(batch=batch, amount__gt=0)
        .order_by("seq")
        .values_list(
            "seq",
            "pk",
            "claim__member__union_card_encrypted",
            "claim__member__name",
            "claim__member__id_number_encrypted",
            "amount",
        ),
        handle=handle,
    )


def create_payout_batch(*, actor: Actor) -> PayoutBatch | None:
    """A batch of every approved claim to pay and its request file, or None when there is
    nothing to pay (SPEC C4). A batch whose payouts are all offset in full needs nothing
    from the bank and is settled at once."""
    with translation.override(settings.LANGUAGE_CODE):
        return _create_payout_batch(actor=actor)


def _create_payout_batch(*, actor: Actor) -> PayoutBatch | None:
    with transaction.atomic():
        batch = PayoutBatch.objects.create(
            number=_number(), created_by=_user(actor), created_at=timezone.now()
        )
        offsets = _open_offsets(Claim.objects.filter(state=ClaimState.APPROVED).values("member_id"))
        rows = list(
            candidates()
            .annotate(failed=Count("payouts", filter=Q(payouts__outcome=PayoutOutcome.FAILED)))
            .values_list("pk", "member_id", "amount", "failed")
        )
        if rows:
            PayoutItem.objects.bulk_create(
                _items(batch, rows, offsets), ignore_conflicts=True, batch_size=CHUNK
            )
        figures = PayoutItem.objects.filter(batch=batch).aggregate(
            n=Count("pk"),
            bank=Count("pk", filter=Q(amount__gt=0)),
            total=Sum("amount"),
        )
        if not figures["n"]:
            transaction.set_rollback(True)
            return None
        batch.item_count = figures["bank"]
        batch.total = figures["total"] or ZERO
        if batch.item_count:
            with tempfile.TemporaryFile() as handle:
                _write_request_file(batch, handle)
                handle.seek(0)
                stored = store_generated(
                    actor=actor,
                    content=handle,
                    name=f"payout-{batch.number}.txt",
                    unit_path=district().path,
                    kind=file_rules.CSV,
                )
            batch.request_file = stored.file
            batch.request_sha256 = stored.file.sha256
        batch.save(update_fields=["item_count", "total", "request_file", "request_sha256"])
        record_event(
            action=Action.PAYOUT_BATCH,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_("Payout batch %(number)s: %(n)s payouts, %(total)s yuan")
            % {"number": batch.number, "n": figures["n"], "total": format_yuan(batch.total)},
            data={
                "batch": batch.number,
                "items": figures["n"],
                "bank_items": batch.item_count,
                "total": format_yuan(batch.total),
                "sha256": batch.request_sha256,
            },
        )
        if not batch.item_count:
            _settle(batch=batch, paid_ids=[], failures={}, actor=actor)
    return batch


# --- the bank's answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutApplied:
    batch: PayoutBatch
    paid: int
    failed: int
    already: bool


def applied_payout_result(sha256: str) -> PayoutFile | None:
    """The record of the payout result file with this content's hash, if it was applied."""
    return PayoutFile.objects.filter(sha256=sha256).select_related("batch").first()


def apply_payout_result(*, content: bytes, actor: Actor) -> PayoutApplied:
    """Apply the bank's payout result all or nothing (SPEC C4, D5); the same file twice
    changes nothing and says so. A refused file raises PaymentFileError listing every
    problem, and is recorded once (`RefusedPayoutFile`)."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return _apply(content=content, actor=actor)
        except PaymentFileError as exc:
            raise record_refusal(
                content=content,
                refused=exc,
                actor=actor,
                model=RefusedPayoutFile,
                batches=PayoutBatch,
            ) from exc


def _check(batch: PayoutBatch | None, result: bankfile.ResultFile) -> None:
    """Every problem of the file against its batch (SPEC D5, §14), as one PaymentFileError."""
    problems = bankfile.batch_problems(
        result, batch, settled=batch is not None and batch.state == PayoutBatchState.SETTLED
    )
    assert batch is not None
    expected = {
        pk: (seq, amount)
        for pk, seq, amount in PayoutItem.objects.filter(batch=batch, amount__gt=0).values_list(
            "pk", "seq", "amount"
        )
    }
    first: dict[int, int] = {}
    for index in range(len(result)):
        line, item, seq = index + 2, result.item_ids[index], result.seqs[index]
        known = expected.get(item)
        problem = bankfile.line_problem(
            line=line,
            item=item,
            seq=seq,
            fen=result.fen[index],
            batch=batch.number,
            known=known is not None,
            first=first.get(item, line),
            expected_seq=known[0] if known else None,
            expected=known[1] if known else None,
        )
        if problem:
            problems.add(problem)
        first.setdefault(item, line)
    if problems:
        raise problems.error()


def _apply(*, content: bytes, actor: Actor) -> PayoutApplied:
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = applied_payout_result(sha256)
    if earlier is not None:
        return PayoutApplied(batch=earlier.batch, paid=0, failed=0, already=True)
    result = bankfile.bank_file_format().parse_result(content)
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().filter(number=result.batch_id).first()
        earlier = applied_payout_result(sha256)  # the same file at this moment elsewhere
        if earlier is not None:
            return PayoutApplied(batch=earlier.batch, paid=0, failed=0, already=True)
        try:
            _check(batch, result)
        except PaymentFileError as exc:
            exc.batch_number = result.batch_id
            raise
        assert batch is not None
        paid_ids: list[int] = []
        failures: dict[tuple[str, str], list[int]] = defaultdict(list)
        for item, code, message in zip(result.item_ids, result.codes, result.messages, strict=True):
            if code == PAID_CODE:
                paid_ids.append(item)
            else:
                failures[(code[:10], message[:100])].append(item)
        stored = store_generated(
            actor=actor,
            content=content,
            name=f"payout-result-{batch.number}.txt",
            unit_path=district().path,
            kind=file_rules.CSV,
        )
        try:
            with transaction.atomic():
                PayoutFile.objects.create(
                    sha256=sha256, batch=batch, received_at=timezone.now(), file=stored.file
                )
        except IntegrityError as exc:
            raise PaymentFileError(
                _("This file was already recorded as another bank file.")
            ) from exc
        paid, failed = _settle(batch=batch, paid_ids=paid_ids, failures=failures, actor=actor)
    return PayoutApplied(batch=batch, paid=paid, failed=failed, already=False)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def paid_message(*, amount: Decimal, offset: Decimal) -> str:
    """What the member is told of a payout paid (SPEC C5)."""
    if not offset:
        return _("Your benefit of %(amount)s yuan was paid to your union card.") % {
            "amount": format_yuan(amount)
        }
    return _(
        "Your benefit of %(total)s yuan was paid: %(offset)s yuan offset what is to be "
        "recovered, %(amount)s yuan went to your union card."
    ) % {
        "total": format_yuan(amount + offset),
        "offset": format_yuan(offset),
        "amount": format_yuan(amount),
    }


def failed_message(*, claim_id: int, bank_message: str) -> str:
    """What the member is told of a payout the bank could not pay (SPEC C5)."""
    return _(
        "The payout of claim #%(pk)s to your union card did not go through (bank: "
        "%(message)s). It will be paid again with the next payout; if your union card was "
        "lost or closed, tell your union."
    ) % {"pk": claim_id, "message": bank_message or "—"}


def _settle(
    *,
    batch: PayoutBatch,
    paid_ids: list[int],
    failures: dict[tuple[str, str], list[int]],
    actor: Actor,
) -> tuple[int, int]:
    """The batch's outcomes: an UPDATE per chunk of paid items and per distinct failure,
    the paid claims in one UPDATE, their events and recovery payments inserted in bulk,
    the fund ledger posted (D9), all in the caller's transaction."""
    now = timezone.now()
    booked_on = scheme_date(now)
    items = PayoutItem.objects.filter(batch=batch, outcome=PayoutOutcome.PENDING)
    for chunk in _chunks(paid_ids):
        items.filter(pk__in=chunk).update(outcome=PayoutOutcome.PAID, bank_code=PAID_CODE)
    # Offset in full: nothing was asked of the bank, paid with the batch.
    items.filter(amount=0).update(outcome=PayoutOutcome.PAID)
    failed = 0
    for (code, message), ids in failures.items():
        failed += len(ids)
        for chunk in _chunks(ids):
            items.filter(pk__in=chunk).update(
                outcome=PayoutOutcome.FAILED, bank_code=code, bank_message=message
            )
    failed_rows = [
        (claim_id, message)
        for (_code, message), ids in failures.items()
        for chunk in _chunks(ids)
        for claim_id in PayoutItem.objects.filter(pk__in=chunk).values_list("claim_id", flat=True)
    ]
    rows = list(
        PayoutItem.objects.filter(batch=batch, outcome=PayoutOutcome.PAID).values_list(
            "pk", "claim_id", "amount", "offset", "recovery_id", "recovery__year"
        )
    )
    claim_ids = [row[1] for row in rows]
    for chunk in _chunks(claim_ids):
        Claim.objects.filter(pk__in=chunk, state=ClaimState.APPROVED).update(
            state=ClaimState.PAID, paid_at=now, updated_at=now
        )
    reason = (_("payout batch %(batch)s") % {"batch": batch.number})[:500]
    events = ClaimEvent.objects.bulk_create(
        [
            ClaimEvent(
                claim_id=claim_id,
                from_state=ClaimState.APPROVED,
                to_state=ClaimState.PAID,
                reason=reason,
                message=paid_message(amount=amount, offset=offset)[:500],
                actor=_user(actor),
                actor_label=_label(actor),
                at=now,
            )
            for _pk, claim_id, amount, offset, _case, _year in rows
        ]
        + [
            ClaimEvent(
                claim_id=claim_id,
                from_state=ClaimState.APPROVED,
                to_state=ClaimState.APPROVED,
                reason=reason,
                message=failed_message(claim_id=claim_id, bank_message=message)[:500],
                actor=_user(actor),
                actor_label=_label(actor),
                at=now,
            )
            for claim_id, message in failed_rows
        ],
        batch_size=CHUNK,
    )
    for event in events:
        notify.after_commit(event)
    payments = RecoveryPayment.objects.bulk_create(
        [
            RecoveryPayment(
                case_id=case,
                amount=offset,
                payout_item_id=pk,
                recorded_at=now,
                recorded_by=_user(actor),
                memo=reason[:200],
            )
            for pk, _claim, _amount, offset, case, _year in rows
            if offset > 0
        ]
    )
    if payments:
        cases = {payment.case_id for payment in payments}
        recovered = Subquery(
            RecoveryPayment.objects.filter(case=OuterRef("pk"), payout_item__batch=batch)
            .values("case")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        RecoveryCase.objects.filter(pk__in=cases).update(recovered=F("recovered") + recovered)
        RecoveryCase.objects.filter(
            pk__in=cases, state=RecoveryState.OPEN, recovered__gte=F("amount")
        ).update(state=RecoveryState.RECOVERED, closed_at=now)
        years = {row[4]: row[5] for row in rows if row[4] is not None}
        ledger.post_recovery_payments(
            payments=payments, years=years, actor=actor, booked_on=booked_on
        )
    batch.state = PayoutBatchState.SETTLED
    batch.save(update_fields=["state"])
    ledger.post_payout_batch(batch=batch, actor=actor, booked_on=booked_on)
    record_event(
        action=Action.PAYOUT_RESULT,
        actor=actor,
        target=batch,
        unit_path=district().path,
        summary=_("Result of payout batch %(batch)s: %(paid)s paid, %(failed)s failed")
        % {"batch": batch.number, "paid": len(rows), "failed": failed},
        data={
            "batch": batch.number,
            "paid": len(rows),
            "failed": failed,
            "offsets": len(payments),
        },
    )
    return len(rows), failed


__all__ = [
    "PayoutApplied",
    "apply_payout_result",
    "applied_payout_result",
    "candidates",
    "create_payout_batch",
    "follow_up",
    "request_content",
]
