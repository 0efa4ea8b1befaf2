"""Reads of units and targets, scoped to the acting user.

Every function takes its arguments by keyword; none has an unscoped default. Reads of the
whole district (the command-line report) are the `district_*` functions.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.http import Http404

from huzhu.accounts.access import get_in_scope_or_404, scope_path, scoped
from huzhu.accounts.models import User
from huzhu.org.models import CHILD_KINDS, Target, UnionTarget, Unit, UnitKind
from huzhu.org.paths import starts_with
from huzhu.org.rules import completion_percentage, completion_rate, iso_week_label


def units_for(*, user) -> QuerySet[Unit]:
    return Unit.objects.filter(starts_with("path", scope_path(user)))


def _active_organizing() -> QuerySet[Unit]:
    """Active organizing units: a deactivated one keeps its history and targets but is out
    of reports, totals and dashboards."""
    return Unit.objects.filter(kind=UnitKind.ORGANIZING, active=True)


def organizing_units(*, user) -> QuerySet[Unit]:
    """Active organizing units in the user's scope."""
    return _active_organizing().filter(starts_with("path", scope_path(user)))


def district_organizing_units() -> QuerySet[Unit]:
    """Every active organizing unit of the district (the command line, the system)."""
    return _active_organizing()


def any_organizing_unit() -> bool:
    """Whether the tree holds organizing units yet (a first targets import creates them)."""
    return Unit.objects.filter(kind=UnitKind.ORGANIZING).exists()


def organizing_units_shown(*, user) -> list[Unit]:
    """The organizing units a user's overview pages show: those in scope, or for a user
    below an organizing unit (a grassroots clerk) the one above them."""
    units = list(organizing_units(user=user).order_by("position", "name"))
    if not units and getattr(user, "unit_id", None):
        above = user.unit.organizing_unit()
        units = [above] if above is not None and above.active else []
    return units


def completed_counts(*, year: int) -> dict[int, int]:
    """SPEC T3: completed per organizing unit id. Until the system holds enrollments for a
    year, the counts are the imported ones (附件1's columns)."""
    return _completed(year)[0]


def _completed(year: int) -> tuple[dict[int, int], int | None]:
    """The completed counts and what a unit absent from them completed: 0 in a year that
    holds enrollments (none of its members paid), unknown (None) in an imported year."""
    paid = _paid_counts([year])
    if year in paid:
        return paid[year], 0
    rows = Target.objects.filter(year=year).values_list("unit_id", "imported_completed")
    return {unit_id: done for unit_id, done in rows if done is not None}, None


def _paid_counts(years: list[int] | None) -> dict[int, dict[int, int]]:
    """Paid enrollments per organizing unit for the years that hold enrollments (one
    query); years without enrollments are absent and keep their imported counts."""
    from huzhu.enrollment.selectors import paid_counts

    return paid_counts(years=years)


def _with_paid(figures: dict[int, tuple], paid: dict[int, int] | None) -> dict[int, tuple]:
    """(target, completed) per unit with completed replaced by paid counts when the year
    holds enrollments (SPEC T3)."""
    if paid is None:
        return figures
    units = set(figures) | set(paid)
    return {u: (figures.get(u, (None, None))[0], paid.get(u, 0)) for u in units}


@dataclass(frozen=True)
class ReportRow:
    position: str
    name: str
    previous_target: int | None
    previous_completed: int | None
    previous_percentage: Decimal | None
    target: int | None

    @property
    def previous_rate(self) -> str:
        return "" if self.previous_percentage is None else f"{self.previous_percentage}%"


@dataclass(frozen=True)
class TargetReport:
    year: int
    rows: list[ReportRow]
    total: ReportRow

    @property
    def headers(self) -> list[str]:
        return target_headers(self.year)

    @property
    def has_figures(self) -> bool:
        """Whether any unit has a target or completed count for these years: a list of
        names with empty cells is nothing to show or download."""
        total = self.total
        return any(
            v is not None for v in (total.previous_target, total.previous_completed, total.target)
        )


def target_headers(year: int) -> list[str]:
    """SPEC T5: the columns of 附件1 for the plan year `year`."""
    return [
        "序号",
        "所属单位",
        f"{year - 1}年任务数",
        f"{year - 1}年完成数",
        "完成率%",
        f"{year}年计划任务数",
    ]


def _sum(values) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def target_report(*, year: int, user) -> TargetReport:
    """附件1 for `year` as the user sees it: last year's target, completed and rate, and
    this year's target, for the organizing units in scope."""
    return _target_report(year, organizing_units_shown(user=user))


def district_target_report(*, year: int) -> TargetReport:
    """附件1 for `year` over the whole district (the command line)."""
    return _target_report(year, list(district_organizing_units()))


def _target_report(year: int, units: list[Unit]) -> TargetReport:
    targets = {
        (t.unit_id, t.year): t.target
        for t in Target.objects.filter(year__in=[year - 1, year], unit__in=units)
    }
    completed, absent = _completed(year - 1)
    rows = []
    for unit in units:
        prev_target = targets.get((unit.pk, year - 1))
        prev_completed = completed.get(unit.pk, absent)
        rows.append(
            ReportRow(
                position=str(unit.position),
                name=unit.name,
                previous_target=prev_target,
                previous_completed=prev_completed,
                previous_percentage=completion_percentage(prev_completed, prev_target),
                target=targets.get((unit.pk, year)),
            )
        )
    total = ReportRow(
        position="合计",
        name="",
        previous_target=_sum(r.previous_target for r in rows),
        previous_completed=_sum(r.previous_completed for r in rows),
        previous_percentage=None,
        target=_sum(r.target for r in rows),
    )
    return TargetReport(year=year, rows=rows, total=total)


@dataclass(frozen=True)
class ProgressRow:
    unit: Unit
    target: int | None
    completed: int
    rate: str

    @property
    def percent(self) -> float:
        """Bar length for charts only; reports use `rate`."""
        if not self.target:
            return 0.0
        return self.completed * 100 / self.target

    @property
    def bar_percent(self) -> float:
        return min(100.0, self.percent)


def target_years() -> list[int]:
    return sorted(set(Target.objects.values_list("year", flat=True)), reverse=True)


def progress(*, year: int, user) -> list[ProgressRow]:
    """Target, completed and rate per organizing unit the user can see (the dashboard)."""
    units = organizing_units_shown(user=user)
    figures = Target.objects.filter(year=year, unit__in=units).values_list(
        "unit_id", "target", "imported_completed"
    )
    by_unit = {unit_id: (t, done) for unit_id, t, done in figures}
    return _progress_rows(units, _with_paid(by_unit, _paid_counts([year]).get(year)))


def _progress_rows(units: list[Unit], figures: dict[int, tuple]) -> list[ProgressRow]:
    rows = []
    for unit in units:
        target, done = figures.get(unit.pk, (None, None))
        rows.append(
            ProgressRow(
                unit=unit,
                target=target,
                completed=done or 0,
                rate=completion_rate(done or 0, target),
            )
        )
    return rows


@dataclass(frozen=True)
class Dashboard:
    years: list[int]
    year: int | None
    rows: list[ProgressRow]

    @property
    def total_target(self) -> int:
        return sum(r.target or 0 for r in self.rows)

    @property
    def total_completed(self) -> int:
        return sum(r.completed for r in self.rows)

    @property
    def total_rate(self) -> str:
        return completion_rate(self.total_completed, self.total_target)


def dashboard(*, user, year: int | None) -> Dashboard:
    """The dashboard's figures from one read of the targets table (a few rows per unit and
    year) joined by UNION ALL to the paid enrollments per organizing unit and year (SPEC T3;
    one row per unit and year): the years, the default year (the latest with completed
    counts, so the chart shows real progress; `year` when one is asked for) and the progress
    rows."""
    from huzhu.enrollment.selectors import paid_count_rows

    none = Value(None, output_field=IntegerField())
    targets = (
        Target.objects.order_by()
        .annotate(paid=none)
        .values_list("unit_id", "year", "target", "imported_completed", "paid")
    )
    by_year: dict[int, dict[int, tuple]] = defaultdict(dict)
    paid_by_year: dict[int, dict[int, int]] = {}
    for unit_id, y, target, done, paid in targets.union(paid_count_rows(), all=True):
        if paid is None:
            by_year[y][unit_id] = (target, done)
        else:
            paid_by_year.setdefault(y, {})
            if paid:
                paid_by_year[y][unit_id] = paid
    for y, paid_units in paid_by_year.items():
        by_year[y] = _with_paid(by_year.get(y, {}), paid_units)
    years = sorted(by_year, reverse=True)
    if year is None:
        with_progress = [
            y for y in years if any(done is not None for _, done in by_year[y].values())
        ]
        year = with_progress[0] if with_progress else (years[0] if years else None)
    if year is None:
        return Dashboard(years=years, year=None, rows=[])
    units = organizing_units_shown(user=user)
    return Dashboard(years=years, year=year, rows=_progress_rows(units, by_year.get(year, {})))


# The units pages and their forms.


def unit_for(*, user: User, pk: int) -> Unit:
    """One unit in the user's scope, or 404."""
    return get_in_scope_or_404(Unit.objects.select_related("parent"), user, pk=pk)


def child_units(*, user: User, unit: Unit) -> QuerySet[Unit]:
    return scoped(Unit.objects.filter(parent=unit), user)


def member_count(*, user: User, unit: Unit) -> int:
    """Members registered in the unit's subtree, from the counts kept per unit."""
    subtree = units_for(user=user).filter(starts_with("path", unit.path))
    return subtree.aggregate(n=Sum("member_count"))["n"] or 0


def unit_targets(*, user: User, unit: Unit) -> QuerySet[Target]:
    """The unit's targets, newest year first."""
    return scoped(Target.objects.filter(unit=unit), user, "unit__path").order_by("-year")


def move_choices(*, user: User, unit: Unit) -> QuerySet[Unit]:
    """Active units in scope of the kind this unit may sit under, other than its parent."""
    kinds = [kind for kind, children in CHILD_KINDS.items() if unit.kind in children]
    units = scoped(Unit.objects.filter(kind__in=kinds, active=True), user)
    if unit.parent_id is not None:
        units = units.exclude(pk=unit.parent_id)
    return units.order_by("path")


def parent_choices(*, user: User) -> QuerySet[Unit]:
    """Units under which this user may add a unit: organizing and grassroots ones in scope."""
    return scoped(
        Unit.objects.filter(kind__in=[UnitKind.ORGANIZING, UnitKind.GRASSROOTS], active=True),
        user,
    ).order_by("path")


def member_units(*, user: User) -> QuerySet[Unit]:
    """Active grassroots unions in scope: where this user may register a member."""
    return scoped(Unit.objects.filter(kind=UnitKind.GRASSROOTS, active=True), user).order_by("path")


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int  # levels below the user's own unit
    members: int  # registered in its subtree


def unit_tree(*, user: User) -> list[TreeRow]:
    """The units in scope as a tree (siblings in 附件1 order, children right under their
    parent), each with the members registered in its subtree (from the counts kept per
    unit: no pass over the member table)."""
    units = list(scoped(Unit.objects.all(), user))
    depth0 = scope_path(user).count("/")
    by_id = {u.pk: u for u in units}
    subtree_members: dict[int, int] = {}
    for u in units:
        for i in u.path.strip("/").split("/"):
            subtree_members[int(i)] = subtree_members.get(int(i), 0) + u.member_count

    def tree_key(unit: Unit) -> list[tuple[int, str]]:
        return [
            (by_id[int(i)].position, by_id[int(i)].name) if int(i) in by_id else (0, "")
            for i in unit.path.strip("/").split("/")
        ]

    return [
        TreeRow(unit=u, depth=u.path.count("/") - depth0, members=subtree_members.get(u.pk, 0))
        for u in sorted(units, key=tree_key)
    ]


# An organizing unit's grassroots unions: their shares of its target and their paid counts
# (SPEC T3, T4), and the year's paid enrollments week by week.


class Missing:
    """The default of an argument the caller may know (None is a value)."""


MISSING = Missing()


@dataclass(frozen=True)
class UnionRow:
    unit: Unit | None  # None: paid enrollments not yet assigned to a union
    target: int | None
    completed: int

    @property
    def rate(self) -> str:
        return completion_rate(self.completed, self.target)


@dataclass(frozen=True)
class Breakdown:
    year: int
    organizing: Unit
    target: int | None  # the organizing unit's own target, set by the district
    rows: list[UnionRow]

    @property
    def share_sum(self) -> int | None:
        return _sum(r.target for r in self.rows)

    @property
    def completed(self) -> int:
        return sum(r.completed for r in self.rows)

    @property
    def shares_below_target(self) -> bool:
        # No warning before any union has a share: nothing has been split yet.
        shares = self.share_sum
        return self.target is not None and shares is not None and shares < self.target


def breakdown_unit(*, user: User, pk: int) -> Unit:
    """An organizing unit whose breakdown the user may open: one of those their pages show
    (a clerk's is the one above them); any other is 404."""
    for unit in organizing_units_shown(user=user):
        if unit.pk == pk:
            return unit
    raise Http404


def union_breakdown(
    *, user, year: int, organizing: Unit, target: int | None | Missing = MISSING
) -> Breakdown:
    """One row per active grassroots union of `organizing` the user can see (a clerk: their
    own), with its share target and paid enrollments of `year`. A few queries whatever the
    number of members; `target` is the organizing unit's, when the caller has read it."""
    unions = scoped(_unions_of(organizing, year), user)
    return _breakdown(year, organizing, list(unions), whole=_sees_all(user), target=target)


def district_union_breakdown(*, year: int, organizing: Unit) -> Breakdown:
    """The breakdown of one organizing unit for the command line."""
    return _breakdown(year, organizing, list(_unions_of(organizing, year)), whole=True)


def _unions_of(organizing: Unit, year: int) -> QuerySet[Unit]:
    """The active grassroots unions of `organizing`, each with its share of `year`."""
    share = UnionTarget.objects.filter(unit=OuterRef("pk"), year=year).values("target")[:1]
    return Unit.objects.filter(parent=organizing, kind=UnitKind.GRASSROOTS, active=True).annotate(
        share=Subquery(share)
    )


def _sees_all(user) -> bool:
    return scope_path(user).count("/") <= 3  # the district or an organizing unit


def _breakdown(
    year: int,
    organizing: Unit,
    unions: list[Unit],
    *,
    whole: bool,
    target: int | None | Missing = MISSING,
) -> Breakdown:
    from huzhu.enrollment.selectors import paid_counts_by_union

    paid = paid_counts_by_union(year=year, organizing_unit_id=organizing.pk)
    rows = [
        UnionRow(unit=u, target=u.share, completed=paid.get(u.pk, 0))  # type: ignore[attr-defined]
        for u in unions
    ]
    if whole and paid.get(None):
        rows.append(UnionRow(unit=None, target=None, completed=paid[None]))
    if isinstance(target, Missing):
        target = (
            Target.objects.filter(unit=organizing, year=year)
            .values_list("target", flat=True)
            .first()
        )
    return Breakdown(year=year, organizing=organizing, target=target, rows=rows)


@dataclass(frozen=True)
class WeekRow:
    monday: datetime.date
    paid: int
    cumulative: int

    @property
    def label(self) -> str:
        return iso_week_label(self.monday)


def weekly_trend(*, user, year: int, organizing: Unit | None = None) -> list[WeekRow]:
    """The year's paid enrollments per ISO week (Shanghai dates), cumulative, in the
    user's scope or under one organizing unit of it. Weeks without payments between the
    first and last are listed with 0, so the chart's steps are even."""
    from huzhu.enrollment.selectors import paid_per_week

    # A clerk's scope lies below the organizing unit: their own union's weeks only.
    path = scope_path(user)
    if organizing is not None and organizing.path.startswith(path):
        path = organizing.path
    per_week = dict(paid_per_week(year=year, path=path))
    if not per_week:
        return []
    rows = []
    total = 0
    monday, last = min(per_week), max(per_week)
    while monday <= last:
        total += per_week.get(monday, 0)
        rows.append(WeekRow(monday=monday, paid=per_week.get(monday, 0), cumulative=total))
        monday += datetime.timedelta(days=7)
    return rows
