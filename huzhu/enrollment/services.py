"""Writes to enrollments: one transaction each, with its state-change row and audit row.

Signing locks the member's enrollment row of the year (creating it when there is none), so
two signings of one member for one year at the same moment queue behind each other and
the second supersedes the first: one enrollment, one active authorization (SPEC E1, E5).
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.access import scope_path
from huzhu.accounts.models import User
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.audit.services import record_event
from huzhu.dates import scheme_today
from huzhu.enrollment import rules
from huzhu.enrollment.models import (
    Authorization,
    Channel,
    Enrollment,
    EnrollmentChange,
    Source,
    State,
)
from huzhu.enrollment.rules import EnrollmentError
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.rules import InvalidValue, clean_union_card
from huzhu.members.services import MemberError, move_member
from huzhu.org.models import Unit, UnitKind
from huzhu.policy.selectors import current_policies


@dataclass(frozen=True)
class Placement:
    """Where a member stands now: organizing unit, grassroots union, path to file under."""

    organizing_unit: Unit | None
    grassroots_union: Unit | None
    unit_path: str


def placement_of(member: Member) -> Placement:
    unit = member.unit
    union: Unit | None = None
    if unit.kind == UnitKind.GRASSROOTS:
        union = unit
    elif unit.kind == UnitKind.EMPLOYER and unit.parent is not None:
        union = unit.parent
    organizing = unit.organizing_unit()
    if organizing is not None and organizing.kind != UnitKind.ORGANIZING:
        organizing = None
    path = union.path if union is not None else (organizing.path if organizing else unit.path)
    return Placement(organizing, union, path)


def _check_eligibility(*, member: Member, union_card: str | None) -> Placement:
    """SPEC M6 at every signing. `union_card`: the card the signing names (a bank notice,
    a roster row), checked against the card registry."""
    card_of_other = False
    has_card = bool(member.union_card_hash)
    if union_card is not None:
        try:
            card = clean_union_card(union_card)
        except InvalidValue as exc:
            raise EnrollmentError("invalid_union_card", exc.message) from exc
        card_hash = crypto.lookup_hash("card", card)
        card_of_other = (
            Member.objects.filter(union_card_hash=card_hash).exclude(pk=member.pk).exists()
        )
        if not card_of_other and card_hash != member.union_card_hash:
            raise EnrollmentError(
                "card_mismatch", _("This union card is not the member's registered card.")
            )
    place = placement_of(member)
    rules.check_eligibility(
        has_card=has_card,
        card_of_other=card_of_other,
        has_basic_insurance=member.has_basic_insurance,
        has_organizing_unit=place.organizing_unit is not None,
    )
    return place


def _label(actor: Actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _change(enrollment: Enrollment, old: str, new: str, actor: Actor, reason: str) -> None:
    EnrollmentChange.objects.create(
        enrollment=enrollment,
        from_state=old,
        to_state=new,
        reason=reason[:200],
        actor=actor,
        actor_label=_label(actor),
    )


def _summary(member: Member, year: int, text: str) -> str:
    return f"{member.name} {member.id_number_masked} {year} {text}"


def _locked_enrollment(*, member: Member, year: int, place: Placement) -> tuple[Enrollment, bool]:
    """The member's enrollment of the year, locked; created (authorized) when missing."""
    found = Enrollment.objects.select_for_update().filter(member=member, year=year).first()
    if found is not None:
        return found, False
    assert place.organizing_unit is not None
    try:
        with transaction.atomic():
            return (
                Enrollment.objects.create(
                    member=member,
                    year=year,
                    organizing_unit=place.organizing_unit,
                    grassroots_union=place.grassroots_union,
                    employer_name=member.employer_name,
                    unit_path=place.unit_path,
                    state=State.AUTHORIZED,
                    insurance_scope=member.insurance_scope,
                ),
                True,
            )
    except IntegrityError:
        # A signing of the same member and year inserted first and has committed (the
        # unique constraint waited for it): continue on its row.
        return Enrollment.objects.select_for_update().get(member=member, year=year), False


@dataclass(frozen=True)
class Signed:
    enrollment: Enrollment
    authorization: Authorization
    created: bool
    superseded: Authorization | None


def sign(
    *,
    member: Member,
    year: int,
    channel: str,
    signed_on: datetime.date,
    source: str,
    actor: Actor,
    union_card: str | None = None,
    request=None,
    _action: str = Action.ENROLLMENT_SIGN,
) -> Signed:
    """A signing (签约授权) of `member` for scheme `year` through `channel` on `signed_on`.

    Refused outside the channel's window (E3), for an ineligible member (M6), or for a
    lapsed year. A further signing of the same year keeps the one enrollment and supersedes
    the active authorization (E5); it never changes a paid enrollment's state (no second
    debit)."""
    if source not in Source.values:
        raise EnrollmentError(
            "unknown_source", _("Unknown signing source: %(source)s.") % {"source": source}
        )
    place = _check_eligibility(member=member, union_card=union_card)
    policy = current_policies().get(year)
    with transaction.atomic():
        enrollment, created = _locked_enrollment(member=member, year=year, place=place)
        active = (
            None
            if created
            else Authorization.objects.select_for_update()
            .filter(enrollment=enrollment, active=True)
            .first()
        )
        rules.check_window(
            policy=policy,
            year=year,
            channel=channel,
            day=signed_on,
            prior_channel=active.channel if active is not None else None,
        )
        if channel == Channel.PAPER and policy is not None and policy.paper_new_members_only:
            rules.check_paper_for_new_member(
                policy=policy,
                channel=channel,
                paid_last_year=Enrollment.objects.filter(
                    member=member, year=year - 1, state=State.PAID
                ).exists(),
            )
        if enrollment.state == State.LAPSED:
            raise EnrollmentError(
                "lapsed", _("This year's enrollment has lapsed: signing is closed.")
            )
        if active is not None:
            Authorization.objects.filter(pk=active.pk).update(active=False, ended_on=signed_on)
        authorization = Authorization.objects.create(
            enrollment=enrollment,
            channel=channel,
            signed_on=signed_on,
            source=source,
            actor=actor,
            supersedes=active,
        )
        reason = _("signed: %(channel)s") % {"channel": rules.channel_title(channel)}
        if created:
            _change(enrollment, "", State.AUTHORIZED, actor, reason)
        elif enrollment.state == State.REVOKED:
            _move(enrollment, State.AUTHORIZED, actor, reason)
        record_event(
            action=_action,
            actor=actor,
            target=enrollment,
            request=request,
            summary=_summary(member, year, channel),
            data={
                "year": year,
                "channel": channel,
                "source": source,
                "signed_on": signed_on.isoformat(),
                "supersedes": active.pk if active is not None else None,
            },
        )
    return Signed(enrollment, authorization, created, active)


def check_renewable(*, member: Member, year: int) -> None:
    """SPEC E4 without writing: raises EnrollmentError when `member` may not renew for
    `year` (the portal asks it before offering the one-tap renewal). The window is not
    judged here."""
    place = placement_of(member)
    previous = (
        Enrollment.objects.filter(member=member, year=year - 1)
        .values_list("state", "organizing_unit_id", "grassroots_union_id")
        .first()
    )
    current = (
        place.organizing_unit.pk if place.organizing_unit else None,
        place.grassroots_union.pk if place.grassroots_union else None,
    )
    rules.check_renewal(
        previous_state=previous[0] if previous else None,
        previous_units=(previous[1], previous[2]) if previous else None,
        current_units=current,
    )


def renew(
    *,
    member: Member,
    year: int,
    actor: Actor,
    source: str,
    signed_on: datetime.date | None = None,
    request=None,
) -> Signed:
    """SPEC E4: one action renews a member paid last year in the same organizing unit and
    grassroots union as now; anyone else is told why not."""
    check_renewable(member=member, year=year)
    return sign(
        member=member,
        year=year,
        channel=Channel.RENEWAL,
        signed_on=signed_on or scheme_today(),
        source=source,
        actor=actor,
        request=request,
        _action=Action.ENROLLMENT_RENEW,
    )


def _move(enrollment: Enrollment, new: str, actor: Actor, reason: str) -> str:
    old = enrollment.state
    rules.check_transition(old, new)
    enrollment.state = new
    enrollment.save(update_fields=["state", "updated_at"])
    _change(enrollment, old, new, actor, reason)
    return old


def _transition(
    *, enrollment: Enrollment, new: str, actor: Actor, reason: str, request
) -> Enrollment:
    with transaction.atomic():
        locked = (
            Enrollment.objects.select_for_update().select_related("member").get(pk=enrollment.pk)
        )
        old = _move(locked, new, actor, reason)
        record_event(
            action=Action.ENROLLMENT_STATE,
            actor=actor,
            target=locked,
            request=request,
            summary=_summary(locked.member, locked.year, f"{old} → {new}"),
            data={"from": old, "to": new, "reason": reason},
        )
    return locked


def mark_paid(*, enrollment: Enrollment, actor: Actor, reason: str = "", request=None):
    return _transition(
        enrollment=enrollment, new=State.PAID, actor=actor, reason=reason, request=request
    )


def mark_paid_many(
    *,
    enrollment_ids: "list[int] | QuerySet[Enrollment]",
    actor: Actor,
    reason: str = "",
    locked: bool = False,
    audit_each: bool = True,
) -> int:
    """A batch deduction's successes in one go, set-based (a handful of statements whatever
    the number): every enrollment moves to `paid` with its state-change row and audit row, as
    `mark_paid` writes them one by one. One illegal transition refuses the whole batch.
    `enrollment_ids` may be a queryset: it then stays a subquery in the database.
    `locked`: the caller holds the rows' locks and chose only enrollments that may move
    (a deduction result does), so neither is done again. `audit_each=False`: no audit row
    per enrollment, only the state-change rows; for the caller that records the whole act
    in one audit event of its own (a deduction result, docs/decisions.md)."""
    return _move_many(
        enrollment_ids=enrollment_ids,
        new=State.PAID,
        actor=actor,
        reason=reason,
        locked=locked,
        audit_each=audit_each,
    )


def mark_failed_many(
    *,
    enrollment_ids: "list[int] | QuerySet[Enrollment]",
    actor: Actor,
    reason: str = "",
    locked: bool = False,
    audit_each: bool = True,
) -> int:
    """A batch deduction's failures in one go, as `mark_paid_many` (SPEC E2: failed)."""
    return _move_many(
        enrollment_ids=enrollment_ids,
        new=State.FAILED,
        actor=actor,
        reason=reason,
        locked=locked,
        audit_each=audit_each,
    )


def mark_lapsed_many(
    *, enrollment_ids: "list[int] | QuerySet[Enrollment]", actor: Actor, reason: str = ""
) -> int:
    """Unpaid enrollments past the payment deadline, in one go (SPEC E2: lapsed)."""
    return _move_many(enrollment_ids=enrollment_ids, new=State.LAPSED, actor=actor, reason=reason)


def _move_many(
    *,
    enrollment_ids: "list[int] | QuerySet[Enrollment]",
    new: str,
    actor: Actor,
    reason: str,
    locked: bool = False,
    audit_each: bool = True,
) -> int:
    """Lock the chosen enrollments, check every one may move, then three statements: the
    state-change rows and the audit rows (INSERT … SELECT, the old state read from the row;
    no audit rows when not `audit_each`), and the UPDATE. No row becomes a Python object, so
    a million cost what a thousand do per row (benchmarks/deduction_bench.py)."""
    chosen = (
        enrollment_ids
        if isinstance(enrollment_ids, QuerySet)
        else Enrollment.objects.filter(pk__in=list(enrollment_ids))
    )
    ops, quote = connection.ops, connection.ops.quote_name
    with transaction.atomic():
        ids_sql, ids_params = chosen.order_by().values("pk").query.sql_with_params()
        table = quote(Enrollment._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not locked:
                # Row locks in id order (no deadlock with another mover), counted not fetched.
                cursor.execute(
                    f"WITH locked AS (SELECT e.id FROM {table} e WHERE e.id IN ({ids_sql}) "  # noqa: S608
                    "ORDER BY e.id FOR UPDATE) SELECT count(*) FROM locked",
                    ids_params,
                )
        allowed = [old for old, targets in rules.TRANSITIONS.items() if new in targets]
        wrong = (
            None
            if locked
            else chosen.exclude(state__in=allowed).values_list("state", flat=True).first()
        )
        if wrong is not None:
            rules.check_transition(wrong, new)
        now = ops.adapt_datetimefield_value(timezone.now())
        user_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
        label = _label(actor)
        member = quote(Member._meta.db_table)
        if connection.vendor == "postgresql":
            data = "jsonb_build_object('from', e.state, 'to', %s, 'reason', %s)"
        else:
            data = "json_object('from', e.state, 'to', %s, 'reason', %s)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(EnrollmentChange._meta.db_table)} "  # noqa: S608
                "(enrollment_id, from_state, to_state, reason, actor_id, actor_label, changed_at) "
                "SELECT e.id, e.state, %s, %s, %s, %s, %s "
                f"FROM {table} e WHERE e.id IN ({ids_sql})",
                [new, reason[:200], user_id, label, now, *ids_params],
            )
            if audit_each:
                cursor.execute(
                    f"INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608
                    "(at, actor_user_id, actor_label, action, object_type, object_id, unit_path, "
                    "summary, data) "
                    "SELECT %s, %s, %s, %s, %s, CAST(e.id AS VARCHAR(64)), e.unit_path, "
                    "SUBSTR(m.name || ' ' || m.id_number_masked || ' ' "
                    f"|| CAST(e.year AS VARCHAR(8)) || ' ' || e.state || %s, 1, 500), {data} "
                    f"FROM {table} e JOIN {member} m ON m.id = e.member_id "
                    f"WHERE e.id IN ({ids_sql})",
                    [
                        now,
                        user_id,
                        label,
                        Action.ENROLLMENT_STATE,
                        Enrollment._meta.label_lower,
                        f" → {new}",
                        new,
                        reason,
                        *ids_params,
                    ],
                )
        return Enrollment.objects.filter(pk__in=chosen.order_by().values("pk")).update(
            state=new, updated_at=timezone.now()
        )


def mark_failed(*, enrollment: Enrollment, actor: Actor, reason: str = "", request=None):
    return _transition(
        enrollment=enrollment, new=State.FAILED, actor=actor, reason=reason, request=request
    )


def lapse(*, enrollment: Enrollment, actor: Actor, reason: str = "", request=None):
    return _transition(
        enrollment=enrollment, new=State.LAPSED, actor=actor, reason=reason, request=request
    )


@dataclass(frozen=True)
class Revoked:
    enrollment: Enrollment
    authorization: Authorization
    message: str


def revoke(
    *,
    member: Member,
    year: int,
    actor: Actor,
    source: str,
    reason: str = "",
    on: datetime.date | None = None,
    request=None,
) -> Revoked:
    """解约: end the active authorization. An unpaid enrollment becomes `revoked`; a paid
    one stays paid, covered for its year, and the authorization ends the month after."""
    day = on or scheme_today()
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(member=member, year=year).first()
        active = (
            Authorization.objects.select_for_update()
            .filter(enrollment=enrollment, active=True)
            .first()
            if enrollment is not None
            else None
        )
        if enrollment is None or active is None:
            raise EnrollmentError(
                "no_active_authorization",
                _("There is no active authorization for %(year)s to revoke.") % {"year": year},
            )
        why = reason or _("revoked")
        if enrollment.state == State.PAID:
            ends = rules.month_after(day)
            message = _(
                "Revoked. %(year)s is paid and stays covered; the authorization ends on %(ends)s."
            ) % {"year": year, "ends": rules.chinese_date(ends)}
        else:
            ends = day
            _move(enrollment, State.REVOKED, actor, why)
            message = _("Revoked. The %(year)s enrollment is cancelled.") % {"year": year}
        Authorization.objects.filter(pk=active.pk).update(active=False, ended_on=ends)
        active.refresh_from_db()
        record_event(
            action=Action.ENROLLMENT_REVOKE,
            actor=actor,
            target=enrollment,
            request=request,
            summary=_summary(member, year, source),
            data={"year": year, "source": source, "ends": ends.isoformat(), "reason": why},
        )
    return Revoked(enrollment, active, message)


# --- online signers held under an organizing unit (SPEC §7a) -------------------------------


def assign_held(*, actor: User, member_ids: list[int], union: Unit, request=None) -> int:
    """Assign members held directly under an organizing unit (a bank signing names only the
    town, SPEC §7a) to a grassroots union of that organizing unit: each member moves with
    history (members.services.move_member), and their enrollments still held under the
    organizing unit take the union as their snapshot, in one update. An enrollment that
    already names a union (a past year) is never rewritten. All or nothing; returns how many
    enrollments were filled in.

    The caller passes members it found in the actor's scope (another unit's is a 404)."""
    held = list(
        Member.objects.filter(
            pk__in=member_ids,
            unit__kind=UnitKind.ORGANIZING,
            unit_path__startswith=scope_path(actor),
        )
        .select_related("unit")
        .order_by("pk")
    )
    if not held or len(held) != len(set(member_ids)):
        raise MemberError({"members": _("Choose members waiting for a grassroots union.")})
    town = held[0].unit
    if (
        any(m.unit_id != town.pk for m in held)
        or union.kind != UnitKind.GRASSROOTS
        or not union.active
        or not union.path.startswith(town.path)
    ):
        raise MemberError(
            {
                "unit": _(
                    "Grassroots union: choose an active grassroots union of the members' "
                    "organizing unit %(unit)s."
                )
                % {"unit": town.name}
            }
        )
    with transaction.atomic():
        # Locked and checked again: an assignment of the same members meanwhile wins.
        still = Member.objects.select_for_update().filter(
            pk__in=[m.pk for m in held], unit_id=town.pk
        )
        if len(still.values_list("pk", flat=True)) != len(held):
            raise MemberError({"members": _("Choose members waiting for a grassroots union.")})
        for member in held:
            move_member(actor=actor, member=member, unit=union, request=request)
        filled = Enrollment.objects.filter(
            member_id__in=[m.pk for m in held],
            organizing_unit=town,
            grassroots_union__isnull=True,
            unit_path=town.path,
        ).update(grassroots_union=union, unit_path=union.path)
        record_event(
            action=Action.ENROLLMENT_ASSIGN,
            actor=actor,
            target=union,
            request=request,
            unit_path=union.path,
            summary=f"{town.name} → {union.name}: {len(held)}",
            data={"members": [m.pk for m in held], "enrollments": filled, "union": union.pk},
        )
    return filled
