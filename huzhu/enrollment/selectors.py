"""Reads of enrollments, always scoped to what the acting user may see (SPEC S1).

Lists are ordered by (unit_path, id) within a year — the order of the `enrollment_scope`
index — so a pager reads them from a keyset rather than with OFFSET."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import TruncWeek
from django.http import Http404

from huzhu.accounts.access import scope_path
from huzhu.dates import SCHEME_ZONE
from huzhu.enrollment.models import Authorization, Channel, Enrollment, EnrollmentChange, State
from huzhu.members.models import Member
from huzhu.org.models import Unit, UnitKind
from huzhu.org.paths import Bytewise, rows_after, rows_before, starts_with


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


# Pages (console list and history, portal's 我的参保).

PAGE_SIZE = 50


# The columns the console's enrollment list shows (console/enrollments.html): the member's
# name and masked ID number, never their encrypted numbers.
PAGE_COLUMNS = (
    "id",
    "year",
    "state",
    "unit_path",
    "member__name",
    "member__id_number_masked",
    "organizing_unit__name",
    "grassroots_union__name",
)


@dataclass(frozen=True)
class EnrollmentPage:
    enrollments: list[Enrollment]
    # Keyset cursors: the enrollment the next page starts after, or the previous page ends
    # before; None when there is no such page.
    next_after: int | None
    previous_before: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.previous_before is not None


def enrollment_page(
    *,
    user,
    year: int,
    state: str | None = None,
    channel: str | None = None,
    unit: Unit | None = None,
    after: int | None = None,
    before: int | None = None,
) -> EnrollmentPage:
    """One page of a year's enrollments in the user's scope, in (unit_path, id) order, read
    from a keyset: two queries whatever the page and the direction (the cursor's row, then
    the page). `after`/`before`: the enrollment the page starts after (ends before). A
    cursor outside the list is ignored: the first page is shown."""
    listing = enrollments_for(user=user, year=year, state=state, channel=channel, unit=unit)
    cursor = after if after is not None else before
    start = None
    if cursor is not None:
        start = listing.filter(pk=cursor).values_list("unit_path", "id").first()
    backwards = start is not None and after is None
    forwards = listing.only(*PAGE_COLUMNS)
    columns: list = [Bytewise(F("unit_path")), F("id")]
    has_previous = start is not None
    if start is None:
        rows = list(forwards[: PAGE_SIZE + 1])
    elif backwards:
        earlier = forwards.filter(rows_before(columns, list(start))).order_by(
            *[c.desc() for c in columns]
        )
        rows = list(earlier[: PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
        elif len(rows) == PAGE_SIZE:
            # Exactly one page before the cursor: it is the first page.
            rows, has_previous = rows[::-1], False
        else:
            # Fewer than a page before the cursor (rows came or went meanwhile): the whole
            # first page rather than a short one, for one more query.
            rows, has_previous = list(forwards[: PAGE_SIZE + 1]), False
            backwards = False
    else:
        rows = list(forwards.filter(rows_after(columns, list(start)))[: PAGE_SIZE + 1])
    # Going back, the cursor's own row follows the page.
    has_next = len(rows) > PAGE_SIZE or backwards
    shown = rows[:PAGE_SIZE]
    return EnrollmentPage(
        enrollments=shown,
        next_after=shown[-1].pk if has_next and shown else None,
        previous_before=shown[0].pk if has_previous and shown else None,
    )


def _with_history(qs: QuerySet[Enrollment]) -> list[Enrollment]:
    return list(
        qs.select_related("organizing_unit", "grassroots_union")
        .prefetch_related(
            Prefetch("changes", queryset=EnrollmentChange.objects.order_by("changed_at", "id")),
            Prefetch("authorizations", queryset=Authorization.objects.order_by("created_at", "id")),
        )
        .order_by("-year")
    )


def member_enrollments(*, user, member: Member) -> list[Enrollment]:
    """The member's enrollments the user may see, newest year first, with their state
    changes and authorizations (three queries)."""
    return _with_history(Enrollment.objects.filter(in_scope(user=user), member=member))


def own_enrollments(*, members: list[Member]) -> list[Enrollment]:
    """The portal's read: the signed-in members' own enrollments (the members are the
    scope), newest year first, with their state changes and authorizations."""
    return _with_history(Enrollment.objects.filter(member__in=members).select_related("member"))


def own_enrollment(*, members: list[Member], pk: int) -> Enrollment:
    """One of the signed-in members' enrollments; anyone else's does not exist (404)."""
    found = Enrollment.objects.filter(member__in=members, pk=pk).select_related("member").first()
    if found is None:
        raise Http404
    return found


# --- online signers held under an organizing unit (SPEC §7a) -------------------------------

HELD_LIMIT = 200


def _held(*, user) -> QuerySet[Member]:
    """Members held directly under an organizing unit of the user's scope: a grassroots
    clerk's subtree holds none of them."""
    return Member.objects.filter(
        starts_with("unit_path", scope_path(user)), unit__kind=UnitKind.ORGANIZING
    )


def held_count(*, user) -> int:
    return _held(user=user).count()


def held_members(*, user, ids: list[int] | None = None) -> list[Member]:
    """The held members (oldest first), each with its latest enrollment's year and state
    and the date of its latest signing, in one query."""
    latest = Enrollment.objects.filter(member=OuterRef("pk")).order_by("-year")
    found = (
        _held(user=user)
        .select_related("unit")
        .annotate(
            enrollment_year=Subquery(latest.values("year")[:1]),
            enrollment_state=Subquery(latest.values("state")[:1]),
            signed_on=Subquery(
                Authorization.objects.filter(enrollment__member=OuterRef("pk"))
                .order_by("-signed_on", "-id")
                .values("signed_on")[:1]
            ),
        )
        .order_by("unit_path", "id")
    )
    if ids is not None:
        found = found.filter(pk__in=ids)
    return list(found[:HELD_LIMIT])


# Target breakdowns (org.selectors): counts grouped in the database, never per member.


def paid_counts_by_union(*, year: int, organizing_unit_id: int) -> dict[int | None, int]:
    """SPEC T3 under one organizing unit: grassroots union id → paid enrollments of `year`
    (None for paid enrollments not yet assigned to a union). One grouped query."""
    rows = (
        Enrollment.objects.filter(
            year=year, state=State.PAID, organizing_unit_id=organizing_unit_id
        )
        .values("grassroots_union_id")
        .annotate(paid=Count("id"))
        .order_by()
        .values_list("grassroots_union_id", "paid")
    )
    return dict(rows)


def paid_per_week(*, year: int, path: str) -> list[tuple[datetime.date, int]]:
    """(Monday of the ISO week, enrollments that became paid that week) for the year's
    enrollments under `path` that are paid now, by the Shanghai date of their first change
    to paid: the weeks add up to the paid count of SPEC T3. Grouped in the database."""
    earlier_paid = EnrollmentChange.objects.filter(
        enrollment=OuterRef("enrollment"),
        to_state=State.PAID,
        changed_at__lt=OuterRef("changed_at"),
    )
    rows = (
        EnrollmentChange.objects.filter(
            starts_with("enrollment__unit_path", path),
            to_state=State.PAID,
            enrollment__year=year,
            enrollment__state=State.PAID,
        )
        .exclude(Exists(earlier_paid))
        .annotate(week=TruncWeek("changed_at", tzinfo=SCHEME_ZONE))
        .values("week")
        .annotate(paid=Count("enrollment_id", distinct=True))
        .order_by("week")
        .values_list("week", "paid")
    )
    return [(_as_date(week), paid) for week, paid in rows]


def _as_date(week) -> datetime.date:
    return week.astimezone(SCHEME_ZONE).date() if isinstance(week, datetime.datetime) else week
