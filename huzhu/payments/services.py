"""Collective deduction (SPEC D3–D6): build a batch and its bank file, apply a result file.

A batch takes each deductible enrollment at most once, even when two are built at the same
moment: its items go in with one set-based insert that skips any enrollment already holding
a live item — the partial unique index `deduction_one_live_item` decides, not the code."""

import hashlib
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.enrollment.models import Authorization, Enrollment, State
from huzhu.enrollment.rules import EnrollmentError
from huzhu.enrollment.services import mark_failed_many, mark_paid, mark_paid_many
from huzhu.files import rules as file_rules
from huzhu.files.services import open_stored, store_generated
from huzhu.ledger import services as ledger
from huzhu.members import crypto
from huzhu.org.services import district
from huzhu.payments import bankfile
from huzhu.payments.bankfile import PaymentFileError
from huzhu.payments.models import (
    LIVE,
    BankFileRecord,
    BatchState,
    DeductionBatch,
    DeductionItem,
    FileKind,
    Outcome,
    Refund,
    RefundSource,
    SelfPayment,
)
from huzhu.policy.selectors import current_policies
from huzhu.rosters.selectors import deductible_q

CHUNK = 5000


def candidates(*, year: int, max_attempts: int, retry_codes: tuple[str, ...] | None = None):
    """SPEC D3, D6, E6: authorized or failed, not paid, an active deductible authorization,
    a bank card on file, no live item, fewer failed attempts than the policy allows, and no
    failure with a code the policy does not retry (§14: those go to follow-up)."""
    deductible = Authorization.objects.filter(enrollment=OuterRef("pk"), active=True).filter(
        deductible_q()
    )
    live = DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome__in=LIVE)
    failed = (
        DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome=Outcome.FAILED)
        .order_by()
        .values("enrollment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    found = Enrollment.objects.filter(year=year, state__in=[State.AUTHORIZED, State.FAILED])
    if retry_codes is not None:
        final = DeductionItem.objects.filter(
            enrollment=OuterRef("pk"), outcome=Outcome.FAILED
        ).exclude(bank_code__in=retry_codes)
        found = found.exclude(Exists(final))
    return (
        found.exclude(member__union_card_encrypted="")
        .filter(Exists(deductible))
        .exclude(Exists(live))
        .annotate(tried=Coalesce(Subquery(failed, output_field=IntegerField()), 0))
        .filter(tried__lt=max_attempts)
        .order_by("pk")
    )


def _number(year: int) -> str:
    return f"{year}{uuid.uuid4().hex[:12].upper()}"


def create_batch(*, year: int, actor: Actor) -> DeductionBatch | None:
    """A batch of every deductible enrollment of `year` and its request file, or None when
    there is nothing to deduct (SPEC D3, D4)."""
    policy = current_policies().get(year)
    if policy is None:
        raise PaymentFileError(_("There is no policy for %(year)s.") % {"year": year})
    fee = policy.fee
    rows = list(
        candidates(
            year=year, max_attempts=policy.max_attempts, retry_codes=policy.retry_codes
        ).values_list("pk", "tried")
    )
    if not rows:
        return None
    with transaction.atomic():
        batch = DeductionBatch.objects.create(
            number=_number(year),
            year=year,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=timezone.now(),
        )
        # ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): an enrollment another batch
        # took in the meantime is left out here.
        DeductionItem.objects.bulk_create(
            (
                DeductionItem(batch=batch, enrollment_id=pk, seq=seq, amount=fee, attempt=tried + 1)
                for seq, (pk, tried) in enumerate(rows, start=1)
            ),
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        items = DeductionItem.objects.filter(batch=batch)
        figures = items.aggregate(n=Count("pk"), total=Sum("amount"))
        if not figures["n"]:
            transaction.set_rollback(True)
            return None
        lines = [
            bankfile.RequestLine(
                seq=seq,
                item_id=pk,
                card_no=crypto.decrypt(card),
                name=name,
                id_no=crypto.decrypt(id_no),
                amount=amount,
            )
            for seq, pk, card, name, id_no, amount in items.order_by("seq").values_list(
                "seq",
                "pk",
                "enrollment__member__union_card_encrypted",
                "enrollment__member__name",
                "enrollment__member__id_number_encrypted",
                "amount",
            )
        ]
        content = bankfile.write_request(batch_id=batch.number, lines=lines)
        stored = store_generated(
            actor=actor,
            content=content,
            name=f"deduction-{batch.number}.txt",
            unit_path=district().path,
            kind=file_rules.CSV,
        )
        sha256 = stored.file.sha256
        batch.item_count = figures["n"]
        batch.total = figures["total"]
        batch.request_file = stored.file
        batch.request_sha256 = sha256
        batch.save(update_fields=["item_count", "total", "request_file", "request_sha256"])
        BankFileRecord.objects.create(
            kind=FileKind.REQUEST, sha256=sha256, batch=batch, received_at=batch.created_at
        )
        record_event(
            action=Action.DEDUCTION_BATCH,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_("Deduction batch %(number)s: %(n)s items, %(total)s yuan")
            % {"number": batch.number, "n": batch.item_count, "total": bankfile.money(batch.total)},
            data={
                "batch": batch.number,
                "year": year,
                "items": batch.item_count,
                "total": bankfile.money(batch.total),
                "sha256": sha256,
            },
        )
    return batch


def request_content(batch: DeductionBatch) -> bytes:
    assert batch.request_file is not None
    with open_stored(batch.request_file) as handle:
        return handle.read()


@dataclass(frozen=True)
class Applied:
    batch: DeductionBatch
    debited: int
    failed: int
    already: bool


def _check(batch: DeductionBatch | None, result: bankfile.ResultFile) -> dict[int, DeductionItem]:
    if batch is None:
        raise PaymentFileError(
            _("The result file is for batch %(batch)s, which is not known.")
            % {"batch": result.batch_id}
        )
    if batch.state == BatchState.SETTLED:
        raise PaymentFileError(
            _("Batch %(batch)s already has a different result applied.") % {"batch": batch.number}
        )
    if result.count != batch.item_count:
        raise PaymentFileError(
            _("The result file counts %(count)s items; batch %(batch)s has %(n)s.")
            % {"count": result.count, "batch": batch.number, "n": batch.item_count}
        )
    if result.total != batch.total:
        raise PaymentFileError(
            _("The result file totals %(total)s yuan; batch %(batch)s totals %(expected)s.")
            % {
                "total": bankfile.money(result.total),
                "batch": batch.number,
                "expected": bankfile.money(batch.total),
            }
        )
    items = {item.pk: item for item in DeductionItem.objects.filter(batch=batch)}
    seen: set[int] = set()
    for number, line in enumerate(result.lines, start=2):
        item = items.get(line.item_id)
        if item is None or line.item_id in seen or item.seq != line.seq:
            raise PaymentFileError(
                _(
                    "Line %(line)s of the result file: item %(item)s (number %(seq)s) "
                    "is not in batch %(batch)s or appears twice."
                )
                % {"line": number, "item": line.item_id, "seq": line.seq, "batch": batch.number}
            )
        if line.amount != item.amount:
            raise PaymentFileError(
                _(
                    "Line %(line)s of the result file: the amount %(amount)s "
                    "is not the item's %(expected)s."
                )
                % {
                    "line": number,
                    "amount": bankfile.money(line.amount),
                    "expected": bankfile.money(item.amount),
                }
            )
        seen.add(line.item_id)
    return items


def apply_result(*, content: bytes, actor: Actor) -> Applied:
    """Apply a bank result file all or nothing (SPEC D5); the same file twice changes
    nothing and says so. Raises PaymentFileError with the reason for a refused file."""
    sha256 = hashlib.sha256(content).hexdigest()
    result = bankfile.parse_result(content)
    with transaction.atomic():
        batch = DeductionBatch.objects.select_for_update().filter(number=result.batch_id).first()
        earlier = BankFileRecord.objects.filter(sha256=sha256).select_related("batch").first()
        if earlier is not None:
            return Applied(batch=earlier.batch, debited=0, failed=0, already=True)
        items = _check(batch, result)
        assert batch is not None
        debited = [line for line in result.lines if line.code == bankfile.DEBITED]
        failed = [line for line in result.lines if line.code != bankfile.DEBITED]
        DeductionItem.objects.filter(pk__in=[line.item_id for line in debited]).update(
            outcome=Outcome.DEBITED, bank_code=bankfile.DEBITED
        )
        changed = []
        for line in failed:
            item = items[line.item_id]
            item.outcome = Outcome.FAILED
            item.bank_code = line.code[:10]
            item.bank_message = line.message[:100]
            changed.append(item)
        DeductionItem.objects.bulk_update(
            changed, ["outcome", "bank_code", "bank_message"], batch_size=CHUNK
        )
        reason = _("deduction batch %(batch)s") % {"batch": batch.number}
        debited_ids = [items[line.item_id].enrollment_id for line in debited]
        crossed = _refund_crossed_debits(
            items=[items[line.item_id] for line in debited], batch=batch
        )
        try:
            mark_paid_many(
                enrollment_ids=[pk for pk in debited_ids if pk not in crossed],
                actor=actor,
                reason=reason,
            )
            mark_failed_many(
                enrollment_ids=[items[line.item_id].enrollment_id for line in failed],
                actor=actor,
                reason=reason,
            )
        except EnrollmentError as exc:
            # An enrollment that changed since the batch was built (for example revoked):
            # the whole file waits for a person (SPEC D7 is a later step).
            raise PaymentFileError(exc.message) from exc
        batch.state = BatchState.SETTLED
        batch.save(update_fields=["state"])
        ledger.post_batch_income(batch=batch, actor=actor)
        try:
            with transaction.atomic():
                BankFileRecord.objects.create(
                    kind=FileKind.RESULT, sha256=sha256, batch=batch, received_at=timezone.now()
                )
        except IntegrityError as exc:
            raise PaymentFileError(
                _("This file was already recorded as another bank file.")
            ) from exc
        record_event(
            action=Action.DEDUCTION_RESULT,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_("Result of batch %(batch)s: %(debited)s debited, %(failed)s failed")
            % {"batch": batch.number, "debited": len(debited), "failed": len(failed)},
            data={
                "batch": batch.number,
                "debited": len(debited),
                "failed": len(failed),
                "sha256": sha256,
            },
        )
    return Applied(batch=batch, debited=len(debited), failed=len(failed), already=False)


class DuplicateTransaction(Exception):
    """The bank's transaction was already applied (SPEC D2): nothing changes."""


def _refund_crossed_debits(*, items: list[DeductionItem], batch: DeductionBatch) -> set[int]:
    """SPEC D7: a debited item whose enrollment was paid by a self-payment meanwhile keeps
    its debit and gets a refund; returns those enrollments. An enrollment changed in any
    other way (revoked, paid otherwise) still refuses the file."""
    ids = [item.enrollment_id for item in items]
    crossed = set(
        Enrollment.objects.filter(pk__in=ids, state=State.PAID)
        .filter(Exists(SelfPayment.objects.filter(enrollment=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    Refund.objects.bulk_create(
        Refund(
            enrollment_id=item.enrollment_id,
            amount=item.amount,
            reason=(_("Debited by batch %(batch)s after a self-payment") % {"batch": batch.number})[
                :200
            ],
            source=RefundSource.DEDUCTION,
            deduction_item=item,
            created_at=now,
        )
        for item in items
        if item.enrollment_id in crossed
    )
    return crossed


def record_self_payment(
    *,
    enrollment: Enrollment,
    transaction_id: str,
    amount,
    paid_at,
    notice=None,
) -> SelfPayment:
    """SPEC D2, D7: the enrollment becomes paid; one already paid keeps its payment and the
    self-payment becomes a refund to make. A transaction applied before raises
    DuplicateTransaction and changes nothing. Call inside a transaction holding the
    enrollment's row lock."""
    try:
        with transaction.atomic():
            payment = SelfPayment.objects.create(
                enrollment=enrollment,
                transaction_id=transaction_id,
                amount=amount,
                paid_at=paid_at,
                notice=notice,
            )
    except IntegrityError as exc:
        raise DuplicateTransaction(transaction_id) from exc
    ledger.post_self_payment(payment=payment)
    reason = _("self-payment %(id)s") % {"id": transaction_id}
    if enrollment.state == State.PAID:
        Refund.objects.create(
            enrollment=enrollment,
            amount=amount,
            reason=(
                _("Self-payment %(id)s of an enrollment already paid") % {"id": transaction_id}
            )[:200],
            source=RefundSource.SELF_PAYMENT,
            self_payment=payment,
            created_at=timezone.now(),
        )
    else:
        mark_paid(enrollment=enrollment, actor=None, reason=reason[:200])
    return payment


def refunds_to_make():
    """SPEC D7: refunds not yet made, oldest first."""
    return Refund.objects.filter(made_at__isnull=True).select_related("enrollment__member")


def mark_refund_made(*, refund_id: int, actor: Actor) -> Refund:
    """SPEC D7: a refund paid back, once, with an audit row; PaymentFileError otherwise."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None:
            raise PaymentFileError(_("There is no refund %(id)s.") % {"id": refund_id})
        if refund.made_at is not None:
            raise PaymentFileError(_("Refund %(id)s was already made.") % {"id": refund_id})
        refund.made_at = timezone.now()
        refund.made_by = actor if getattr(actor, "pk", None) else None
        refund.save(update_fields=["made_at", "made_by"])
        ledger.post_refund(refund=refund, actor=actor)
        record_event(
            action=Action.REFUND_MADE,
            actor=actor,
            target=refund,
            unit_path=refund.enrollment.unit_path,
            summary=_("Refund %(id)s of %(amount)s yuan made")
            % {"id": refund.pk, "amount": bankfile.money(refund.amount)},
            data={"refund": refund.pk, "amount": bankfile.money(refund.amount)},
        )
    return refund


__all__ = [
    "Applied",
    "DuplicateTransaction",
    "mark_refund_made",
    "record_self_payment",
    "refunds_to_make",
    "PaymentFileError",
    "apply_result",
    "create_batch",
    "request_content",
]
