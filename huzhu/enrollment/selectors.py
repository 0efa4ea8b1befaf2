"""Reads of enrollments, always scoped to what the acting user may see (SPEC S1).

Lists are ordered by (unit_path, id) within a year — the order of the `enrollment_scope`
index — so a pager reads them from a keyset rather than with OFFSET."""

from collections import Counter

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value

from huzhu.accounts.access import scope_path
from huzhu.enrollment.models import Authorization, Channel, Enrollment, EnrollmentChange, State
from huzhu.members.models import Member
from huzhu.org.models import Unit
from huzhu.org.paths import Bytewise, starts_with


def in_scope(*, user) -> Q:
    return starts_with("unit_path", scope_path(user))


def _current_channel() -> Subquery:
    """The channel of the enrollment's current authorization: the active one, else the
    last one ended."""
    return Subquery(
        Authorization.objects.filter(enrollment=OuterRef("pk"))
        .order_by("-active", "-id")
        .values("channel")[:1]
    )


def _filtered(
    base: QuerySet[Enrollment],
    *,
    year: int,
    state: str | None,
    channel: str | None,
    unit: Unit | None,
) -> QuerySet[Enrollment]:
    qs = base.filter(year=year).annotate(channel=_current_channel())
    if unit is not None:
        qs = qs.filter(starts_with("unit_path", unit.path))
    if state is not None:
        qs = qs.filter(state=state)
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs


def enrollments_for(
    *,
    user,
    year: int,
    state: str | None = None,
    channel: str | None = None,
    unit: Unit | None = None,
) -> QuerySet[Enrollment]:
    """A year's enrollments in the user's subtree (narrowed to `unit`'s subtree when
    given), with `channel` annotated, in keyset order (unit_path, id)."""
    base = Enrollment.objects.filter(in_scope(user=user))
    return (
        _filtered(base, year=year, state=state, channel=channel, unit=unit)
        .select_related("member", "organizing_unit", "grassroots_union")
        .order_by(Bytewise("unit_path"), "id")
    )


def enrollment_history(*, user, member: Member) -> list[EnrollmentChange]:
    """Every state change of the member's enrollments the user may see, oldest first."""
    return list(
        EnrollmentChange.objects.filter(
            starts_with("enrollment__unit_path", scope_path(user)), enrollment__member=member
        )
        .select_related("enrollment")
        .order_by("enrollment__year", "changed_at", "id")
    )


# Operators' reads (the command line acts for the district): they say so by their name.


def district_enrollments(
    *,
    year: int,
    state: str | None = None,
    channel: str | None = None,
    unit: Unit | None = None,
) -> QuerySet[Enrollment]:
    return (
        _filtered(Enrollment.objects.all(), year=year, state=state, channel=channel, unit=unit)
        .select_related("member", "organizing_unit", "grassroots_union")
        .order_by(Bytewise("unit_path"), "id")
    )


def district_counts(*, year: int, unit: Unit | None = None) -> dict:
    """`huzhu enrollment count` (SPEC §12): total, by state and by current channel, every
    state and channel named (zero when none)."""
    rows = _filtered(
        Enrollment.objects.all(), year=year, state=None, channel=None, unit=unit
    ).values_list("state", "channel")  # type: ignore[misc]  # annotated by _filtered
    states: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    total = 0
    for state, channel in rows.iterator():
        total += 1
        states[state] += 1
        if channel:
            channels[channel] += 1
    return {
        "total": total,
        "by_state": {s: states[s] for s in State.values},
        "by_channel": {c: channels[c] for c in Channel.values},
    }


def paid_count_rows() -> QuerySet:
    """(organizing unit id, year, None, None, paid) per organizing unit and year holding
    enrollments: the shape of the dashboard's target rows, to be read with them in one
    UNION ALL (org.selectors.dashboard)."""
    none = Value(None, output_field=IntegerField())
    return (
        Enrollment.objects.values("organizing_unit_id", "year")
        .annotate(
            no_target=none,
            no_import=none,
            paid=Count("id", filter=Q(state=State.PAID)),
        )
        .order_by()
        .values_list("organizing_unit_id", "year", "no_target", "no_import", "paid")
    )


def paid_counts(*, years: list[int] | None = None) -> dict[int, dict[int, int]]:
    """SPEC T3: year → organizing unit id → paid enrollments, for the years that hold any
    enrollment (a year with enrollments but none paid maps to {}). One query."""
    qs = Enrollment.objects.all()
    if years is not None:
        qs = qs.filter(year__in=years)
    result: dict[int, dict[int, int]] = {}
    rows = (
        qs.values("year", "organizing_unit_id")
        .annotate(paid=Count("id", filter=Q(state=State.PAID)))
        .order_by()
        .values_list("year", "organizing_unit_id", "paid")
    )
    for year, unit_id, paid in rows:
        per_year = result.setdefault(year, {})
        if paid:
            per_year[unit_id] = paid
    return result
