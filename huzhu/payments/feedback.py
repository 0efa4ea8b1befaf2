"""Deduction feedback (SPEC D8): who could not be debited, the bank's reason, and what
happens next — for the staff of each organizing unit, for the member in the portal, and
as one SMS per failed item.

"What happens next" is never judged here a second time: an enrollment is retried when the
batch builder's own `candidates()` would take it (or a new batch already holds it), and
goes to follow-up otherwise. The reasons for a follow-up (attempts used up, a code the
policy does not retry, no union card) are only explained, from the same policy values.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.enrollment.models import Enrollment, State
from huzhu.enrollment.selectors import in_scope
from huzhu.members import crypto
from huzhu.members.rules import mask_phone
from huzhu.members.sms import send_sms
from huzhu.org.models import Unit
from huzhu.org.paths import Bytewise, rows_after, starts_with
from huzhu.org.services import district
from huzhu.payments.models import LIVE, BatchState, DeductionBatch, DeductionItem, Outcome
from huzhu.payments.services import candidates
from huzhu.policy.document import Policy
from huzhu.policy.selectors import current_policies

logger = logging.getLogger(__name__)

# Next steps, stable codes (shown through NEXT_LABELS).
RETRY = "retry"  # the next batch takes it
IN_BATCH = "in_batch"  # a batch built since holds it, awaiting the bank
FOLLOW_UP = "follow_up"  # no batch will take it: a person must act

# The list's filters: every row, the retried ones, the follow-ups, the ones with no card.
KINDS = ("", RETRY, FOLLOW_UP, "no_card")

PAGE_SIZE = 50
NOTICE_CHUNK = 1000


def next_label(step: str) -> str:
    return {
        RETRY: _("Retried in the next collective deduction"),
        IN_BATCH: _("In a new deduction batch, awaiting the bank"),
        FOLLOW_UP: _("Needs follow-up by a person"),
    }[step]


def needs_feedback_q() -> Q:
    """Failed enrollments, and authorized ones no batch can take for want of a union card
    (candidates() leaves them out without a word)."""
    return Q(state=State.FAILED) | Q(state=State.AUTHORIZED, member__union_card_encrypted="")


def retried_q(policy: Policy | None) -> Q:
    """In a live batch now, or taken by the next one: the batch builder's own rule."""
    live = Exists(DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome__in=LIVE))
    if policy is None:
        return Q(live)
    # Correlated on the row's own key: the database checks the rows listed, instead of
    # working out the whole year's next batch for every page.
    taken = candidates(
        year=policy.year, max_attempts=policy.max_attempts, retry_codes=policy.retry_codes
    ).filter(pk=OuterRef("pk"))
    return Q(live) | Q(Exists(taken))


def _annotated(qs: QuerySet[Enrollment], policy: Policy | None) -> QuerySet[Enrollment]:
    failed = DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome=Outcome.FAILED)
    latest = failed.order_by("-attempt", "-pk")
    tried = failed.order_by().values("enrollment").annotate(n=Count("pk")).values("n")
    return qs.annotate(
        bank_code=Coalesce(Subquery(latest.values("bank_code")[:1]), Value("")),
        bank_message=Coalesce(Subquery(latest.values("bank_message")[:1]), Value("")),
        attempts=Coalesce(Subquery(tried, output_field=IntegerField()), 0),
        queued=Exists(DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome__in=LIVE)),
        retried=Case(
            When(retried_q(policy), then=True), default=False, output_field=BooleanField()
        ),
        no_card=Case(
            When(member__union_card_encrypted="", then=True),
            default=False,
            output_field=BooleanField(),
        ),
    )


@dataclass(frozen=True)
class Failure:
    """One enrollment's deduction trouble as everyone is told it."""

    step: str
    bank_code: str
    bank_message: str
    attempts: int
    no_card: bool
    # Why a person must act (empty unless the step is FOLLOW_UP).
    why: str

    @property
    def reason(self) -> str:
        """The bank's reason in words, or why no deduction was tried."""
        if self.no_card and not self.bank_code:
            return _("No union card on record: the fee cannot be deducted.")
        if self.bank_message:
            return self.bank_message
        return _("The bank gave no reason (code %(code)s).") % {"code": self.bank_code or "—"}

    @property
    def next_label(self) -> str:
        return next_label(self.step)

    @property
    def advice(self) -> str:
        """What the member should do, in plain words."""
        if self.no_card:
            return _(
                "No union card is on record, so the fee cannot be deducted. Ask your union "
                "to register your union card."
            )
        short_of_money = "余额" in self.bank_message
        if self.step == IN_BATCH:
            return _("A new deduction is under way: keep enough money on your union card.")
        if self.step == RETRY and short_of_money:
            return _(
                "Put enough money on your union card before the next deduction, or pay the "
                "fee yourself in your bank's app."
            )
        if self.step == RETRY:
            return _(
                "The bank tries again in the next deduction. If your card has a problem, ask "
                "your union to check it."
            )
        if short_of_money:
            return _(
                "Automatic deduction has stopped. Pay the fee yourself in your bank's app, or "
                "contact your union."
            )
        return _(
            "The deduction will not be tried again as it is. Contact your union to check or "
            "update your union card details."
        )


def failure_of(
    *,
    policy: Policy | None,
    bank_code: str,
    bank_message: str,
    attempts: int,
    queued: bool,
    retried: bool,
    no_card: bool,
) -> Failure:
    if queued:
        step = IN_BATCH
    elif retried:
        step = RETRY
    else:
        step = FOLLOW_UP
    why = ""
    if step == FOLLOW_UP:
        if no_card:
            why = _("No union card on record: the fee cannot be deducted.")
        elif policy is not None and attempts >= policy.max_attempts:
            why = _("%(n)s attempts made, the most the policy allows.") % {"n": attempts}
        elif (
            policy is not None
            and policy.retry_codes is not None
            and (bank_code not in policy.retry_codes)
        ):
            why = _("The policy does not retry bank code %(code)s.") % {"code": bank_code}
        else:
            why = _("No active authorization that can be deducted.")
    return Failure(step, bank_code, bank_message, attempts, no_card, why)


# --- the staff list (SPEC D8, S1, S2) -------------------------------------------------------

# The columns a row shows: masked numbers only, never the encrypted ones.
ROW_COLUMNS = (
    "id",
    "unit_path",
    "year",
    "member__name",
    "member__id_number_masked",
    "member__phone_masked",
    "member__union_card_masked",
    "organizing_unit__name",
    "grassroots_union__name",
    "bank_code",
    "bank_message",
    "attempts",
    "queued",
    "retried",
    "no_card",
)


@dataclass(frozen=True)
class Row:
    enrollment_id: int
    unit_path: str
    year: int
    name: str
    id_masked: str
    phone_masked: str
    card_masked: str
    organizing_unit: str
    grassroots_union: str
    failure: Failure


def _kind_q(kind: str, policy: Policy | None) -> Q:
    if kind == RETRY:
        return Q(state=State.FAILED) & retried_q(policy)
    if kind == FOLLOW_UP:
        return ~retried_q(policy)
    if kind == "no_card":
        return Q(state=State.AUTHORIZED, member__union_card_encrypted="")
    return Q()


def _filtered(
    *, user, year: int, unit: Unit | None, kind: str, policy: Policy | None
) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.filter(in_scope(user=user), year=year).filter(needs_feedback_q())
    if unit is not None:
        qs = qs.filter(starts_with("unit_path", unit.path))
    return qs.filter(_kind_q(kind, policy)).order_by(Bytewise("unit_path"), "id")


def feedback_listing(
    *, user, year: int, unit: Unit | None = None, kind: str = ""
) -> QuerySet[Enrollment]:
    """The year's failed (or card-less) enrollments in the user's scope, narrowed to `unit`'s
    subtree and to `kind` (KINDS), annotated, in keyset order (unit_path, id)."""
    policy = current_policies().get(year)
    return _annotated(_filtered(user=user, year=year, unit=unit, kind=kind, policy=policy), policy)


def rows_of(values: Iterable[tuple], policy: Policy | None) -> Iterable[Row]:
    for (
        pk,
        unit_path,
        year,
        name,
        id_masked,
        phone_masked,
        card_masked,
        organizing,
        union,
        code,
        message,
        attempts,
        queued,
        retried,
        no_card,
    ) in values:
        yield Row(
            pk,
            unit_path,
            year,
            name,
            id_masked,
            phone_masked,
            card_masked,
            organizing,
            union or "",
            failure_of(
                policy=policy,
                bank_code=code,
                bank_message=message,
                attempts=attempts,
                queued=bool(queued),
                retried=bool(retried),
                no_card=bool(no_card),
            ),
        )


@dataclass(frozen=True)
class FeedbackPage:
    rows: list[Row]
    # The enrollment the next page starts after; None on the last page.
    next_after: int | None
    first: bool


def feedback_page(
    *,
    user,
    year: int,
    unit: Unit | None = None,
    kind: str = "",
    after: int | None = None,
) -> FeedbackPage:
    """One page read from a keyset: three queries whatever the page (the cursor's row, the
    page's ids, their rows). A cursor outside the list is ignored: the first page is shown.

    The ids first, then the columns for those only: asked in one query, PostgreSQL works out
    the per-row subqueries for every row of the scope before sorting and cutting the page."""
    policy = current_policies().get(year)
    listing = _filtered(user=user, year=year, unit=unit, kind=kind, policy=policy)
    start = None
    if after is not None:
        start = (
            Enrollment.objects.filter(in_scope(user=user), pk=after)
            .values_list("unit_path", "id")
            .first()
        )
    if start is not None:
        keyset: list = [Bytewise(F("unit_path")), F("id")]
        listing = listing.filter(rows_after(keyset, list(start)))
    ids = list(listing.values_list("pk", flat=True)[: PAGE_SIZE + 1])
    shown = ids[:PAGE_SIZE]
    values = _annotated(Enrollment.objects.filter(pk__in=shown), policy).values_list(*ROW_COLUMNS)
    by_id = {row.enrollment_id: row for row in rows_of(values, policy)}
    rows = [by_id[pk] for pk in shown if pk in by_id]
    return FeedbackPage(
        rows=rows,
        next_after=rows[-1].enrollment_id if len(ids) > PAGE_SIZE and rows else None,
        first=start is None,
    )


@dataclass(frozen=True)
class UnionCount:
    organizing_unit_id: int
    organizing_unit: str
    union_id: int | None
    union: str
    failed: int
    retried: int
    no_card: int

    @property
    def follow_up(self) -> int:
        return self.failed - self.retried + self.no_card


def union_counts(*, user, year: int, unit: Unit | None = None) -> list[UnionCount]:
    """Per grassroots union (None: held under the organizing unit) in scope: failed, of
    which retried, and card-less authorized enrollments. One grouped query."""
    policy = current_policies().get(year)
    qs = Enrollment.objects.filter(in_scope(user=user), year=year).filter(needs_feedback_q())
    if unit is not None:
        qs = qs.filter(starts_with("unit_path", unit.path))
    failed = Q(state=State.FAILED)
    rows = (
        qs.values(
            "organizing_unit_id",
            "organizing_unit__name",
            "organizing_unit__path",
            "grassroots_union_id",
            "grassroots_union__name",
        )
        .annotate(
            failed=Count("pk", filter=failed),
            retried=Count("pk", filter=failed & retried_q(policy)),
            no_card=Count("pk", filter=Q(state=State.AUTHORIZED)),
        )
        .order_by(Bytewise("organizing_unit__path"), "grassroots_union__name")
    )
    return [
        UnionCount(
            r["organizing_unit_id"],
            r["organizing_unit__name"],
            r["grassroots_union_id"],
            r["grassroots_union__name"] or "",
            r["failed"],
            r["retried"],
            r["no_card"],
        )
        for r in rows
    ]


# --- the member's view (portal) ---------------------------------------------------------


def member_failures(enrollments: Iterable[Enrollment]) -> dict[int, Failure]:
    """Enrollment id → its Failure, for the failed or card-less ones among the member's
    own `enrollments` (the portal's scope): one query per year concerned."""
    years: dict[int, list[int]] = {}
    for e in enrollments:
        if e.state == State.FAILED or (
            e.state == State.AUTHORIZED and not e.member.union_card_encrypted
        ):
            years.setdefault(e.year, []).append(e.pk)
    found: dict[int, Failure] = {}
    policies = current_policies()
    for year, ids in years.items():
        policy = policies.get(year)
        qs = _annotated(Enrollment.objects.filter(pk__in=ids), policy)
        for row in rows_of(qs.values_list(*ROW_COLUMNS), policy):
            found[row.enrollment_id] = row.failure
    return found


# --- SMS after a result file (SPEC D8, C5) ----------------------------------------------


@dataclass(frozen=True)
class Notified:
    sent: int
    no_phone: int
    send_failed: int


def notice_text(*, name: str, year: int, failure: Failure) -> str:
    return _(
        "Wujin employee medical mutual aid: %(name)s, the deduction of your %(year)s fee "
        "failed (%(reason)s). %(advice)s"
    ) % {"name": name, "year": year, "reason": failure.reason, "advice": failure.advice}


def _pending_notices(batch: DeductionBatch) -> QuerySet[DeductionItem]:
    """The batch's failed items not yet told, whose enrollment is still failed and has not
    been put in a later batch since (that one's result is what counts now)."""
    later = DeductionItem.objects.filter(enrollment=OuterRef("enrollment"), pk__gt=OuterRef("pk"))
    return DeductionItem.objects.filter(
        batch=batch,
        outcome=Outcome.FAILED,
        notified_at__isnull=True,
        enrollment__state=State.FAILED,
    ).exclude(Exists(later))


def notify_failures(
    batch: DeductionBatch,
    *,
    actor: Actor = None,
    advance: Callable[[int], None] | None = None,
) -> Notified:
    """Text each member whose item of `batch` failed, once per item (SPEC D8).

    A chunk of items is claimed — `notified_at` set in one conditional update, committed —
    before its messages go out, so an item is never texted twice, whatever reruns or runs
    alongside (the batch row lock serialises two runs on PostgreSQL; on SQLite the claim's
    own timestamp tells which rows this run took). A message whose sending raises is logged
    (phone masked) and counted, not retried. Members with no phone on file are counted."""
    policy = current_policies().get(batch.year)
    pending = _pending_notices(batch)
    no_phone = pending.filter(enrollment__member__phone_encrypted="").count()
    pending = pending.exclude(enrollment__member__phone_encrypted="")
    sent = send_failed = 0
    while True:
        with transaction.atomic():
            DeductionBatch.objects.select_for_update().filter(pk=batch.pk).first()
            ids = list(pending.order_by("pk").values_list("pk", flat=True)[:NOTICE_CHUNK])
            if not ids:
                break
            stamp = timezone.now()
            DeductionItem.objects.filter(pk__in=ids, notified_at__isnull=True).update(
                notified_at=stamp
            )
            claimed = DeductionItem.objects.filter(pk__in=ids, notified_at=stamp).values(
                "enrollment"
            )
            rows = list(
                _annotated(Enrollment.objects.filter(pk__in=claimed), policy).values_list(
                    "member__phone_encrypted", *ROW_COLUMNS
                )
            )
        for phone_token, *values in rows:
            row = next(iter(rows_of([tuple(values)], policy)))
            phone = crypto.decrypt(phone_token)
            try:
                send_sms(phone, notice_text(name=row.name, year=row.year, failure=row.failure))
            except Exception:
                logger.exception("failure notice to %s not sent", mask_phone(phone))
                send_failed += 1
            else:
                sent += 1
        if advance is not None:
            advance(len(rows))
    notified = Notified(sent=sent, no_phone=no_phone, send_failed=send_failed)
    if sent or no_phone or send_failed:
        record_event(
            action=Action.DEDUCTION_FAILURE_NOTICES,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_(
                "Failure notices of batch %(batch)s: %(sent)s sent, %(no_phone)s members "
                "without a phone, %(failed)s not sent"
            )
            % {"batch": batch.number, "sent": sent, "no_phone": no_phone, "failed": send_failed},
            data={"batch": batch.number, "sent": sent, "no_phone": no_phone, "failed": send_failed},
        )
    return notified


def batches_with_pending_notices() -> QuerySet[DeductionBatch]:
    """Settled batches holding failed items not yet told, oldest first (the job's work)."""
    waiting = DeductionItem.objects.filter(
        batch=OuterRef("pk"), outcome=Outcome.FAILED, notified_at__isnull=True
    )
    return (
        DeductionBatch.objects.filter(state=BatchState.SETTLED)
        .filter(Exists(waiting))
        .order_by("created_at", "pk")
    )
