"""Claim statistics of a scheme year (SPEC §12 district admin: claims, payouts, loss ratio).

Every figure is aggregated in the database, and the number of queries is the same whatever
the number of claims: one grouped query per table (benefit × state × month, organizing unit
× state, benefit × whole days to a decision), one for the units' names and one over the
fund ledger. Python only adds up the few grouped rows they return.

Months are Asia/Shanghai months of submission (SPEC dates). Approval times are measured
from submission to the final decision (approval, or the second approval of a large claim,
or rejection): the average from the exact elapsed seconds, the median in whole days from a
histogram of whole days — portable to SQLite and PostgreSQL, and as many rows as there are
distinct whole days, not claims.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Func, IntegerField, Max, Min, Sum

from huzhu.claims.models import Claim, ClaimState
from huzhu.dates import SCHEME_ZONE
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.org.models import Unit
from huzhu.policy.codes import BENEFIT_LABELS

S = ClaimState
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
PERCENT_PLACES = Decimal("0.01")
# Decided and granted for good: the amount counts as approved. A recovered claim was paid;
# the money taken back is netted in the loss ratio from the ledger's recovery entries.
APPROVED = frozenset({S.APPROVED, S.PAID, S.RECOVERED})
PAID = frozenset({S.PAID, S.RECOVERED})
OPEN = frozenset({S.SUBMITTED, S.IN_REVIEW, S.RETURNED, S.NEEDS_SETTLEMENT})
SECONDS_PER_DAY = 86_400


class ElapsedSeconds(Func):
    """Seconds from `start` to `end` (two datetime columns)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        # The SQL reads "end - start".
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        # date_part returns a double; EXTRACT a numeric, half again as slow over 200,000 rows.
        return self.as_sql(
            compiler,
            connection,
            template="date_part('epoch', %(expressions)s)",
            arg_joiner=" - ",
            **extra,
        )


class WholeDays(Func):
    """Whole days (rounded down) in a number of seconds."""

    output_field = IntegerField()
    arity = 1
    template = "CAST(FLOOR(%(expressions)s / 86400.0) AS INTEGER)"

    def as_sqlite(self, compiler, connection, **extra):
        # Elapsed times here are never negative, so a cast (which truncates) is the floor.
        return self.as_sql(
            compiler, connection, template="CAST((%(expressions)s) / 86400.0 AS INTEGER)", **extra
        )


def month_starts(year: int) -> list[datetime.datetime]:
    """The first moments of the Shanghai months from January of the year before `year` to
    January six years after it: the bounds the months of submission are counted in."""
    return [
        datetime.datetime(year - 1 + index // 12, index % 12 + 1, 1, tzinfo=SCHEME_ZONE)
        for index in range(12 * 7 + 1)
    ]


class MonthBucket(Func):
    """Which of `starts` a moment falls after: 0 before the first, i when starts[i-1] <= it
    < starts[i], len(starts) after the last. Comparing the stored moment with the months'
    bounds costs less than converting every row to Shanghai time (half of the month query
    at 200,000 claims on PostgreSQL) and needs no time-zone support from SQLite."""

    output_field = IntegerField()
    arity = 1

    def __init__(self, expression, starts: list[datetime.datetime]):
        super().__init__(expression)
        self.starts = starts

    def as_sql(
        self, compiler, connection, function=None, template=None, arg_joiner=None, **extra
    ) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        bounds = [connection.ops.adapt_datetimefield_value(start) for start in self.starts]
        whens = " ".join(f"WHEN {inner} < %s THEN {index}" for index in range(len(bounds)))
        return (
            f"CASE {whens} ELSE {len(bounds)} END",
            [value for bound in bounds for value in (*params, bound)],
        )

    def as_postgresql(self, compiler, connection, **extra) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({inner}, %s::timestamptz[])", [*params, list(self.starts)]


@dataclass
class Figures:
    """Counts and amounts of one row of a table (a benefit, a unit, a month, the total)."""

    submitted: int = 0
    open: int = 0
    awaiting_second: int = 0
    awaiting_second_amount: Decimal = ZERO
    approved: int = 0
    approved_amount: Decimal = ZERO
    paid: int = 0
    paid_amount: Decimal = ZERO
    unpaid: int = 0  # approved, not yet paid
    unpaid_amount: Decimal = ZERO
    rejected: int = 0

    def add(self, state: str, count: int, amount: Decimal | None) -> None:
        amount = amount or ZERO
        self.submitted += count
        if state in OPEN:
            self.open += count
        elif state == S.AWAITING_SECOND:
            self.awaiting_second += count
            self.awaiting_second_amount += amount
        elif state == S.REJECTED:
            self.rejected += count
        if state in APPROVED:
            self.approved += count
            self.approved_amount += amount
        if state in PAID:
            self.paid += count
            self.paid_amount += amount
        if state == S.APPROVED:
            self.unpaid += count
            self.unpaid_amount += amount


@dataclass
class BenefitRow(Figures):
    benefit: str = ""
    label: str = ""
    decided: int = 0
    average_days: Decimal | None = None
    median_days: int | None = None


@dataclass
class UnitRow(Figures):
    unit_id: int = 0
    name: str = ""


@dataclass
class MonthRow(Figures):
    month: datetime.date = datetime.date.min  # the first day of the Shanghai month


@dataclass(frozen=True)
class LossRatio:
    """SPEC D9: benefit payouts booked for the year net of recoveries, over fee income net
    of refunds, in percent; None when there is no income."""

    income: Decimal
    refunds: Decimal  # positive: money paid back
    payouts: Decimal  # positive: money paid out
    recoveries: Decimal  # positive: money taken back

    @property
    def net_income(self) -> Decimal:
        return self.income - self.refunds

    @property
    def net_payouts(self) -> Decimal:
        return self.payouts - self.recoveries

    @property
    def percent(self) -> Decimal | None:
        if self.net_income <= 0:
            return None
        return percentage(self.net_payouts, self.net_income)


@dataclass
class ClaimStatistics:
    year: int
    unit: Unit | None
    total: Figures
    benefits: list[BenefitRow]
    units: list[UnitRow]
    months: list[MonthRow]
    loss_ratio: LossRatio
    decided: int = 0
    average_days: Decimal | None = None
    median_days: int | None = None


def percentage(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent, rounded half up to two places; None for an empty whole."""
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(PERCENT_PLACES, ROUND_HALF_UP)


def median_of_histogram(histogram: dict[int, int]) -> int | None:
    """The median of whole-day values given as {days: how many}; the lower middle value
    for an even count (a number of days that did occur, not a half day)."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = (total + 1) // 2
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= middle:
            return days
    raise AssertionError("unreachable")


def _days(seconds: float, count: int) -> Decimal | None:
    if not count:
        return None
    # Float seconds come from the database; rounded to a tenth of a day before display.
    return (Decimal(repr(seconds)) / count / SECONDS_PER_DAY).quantize(
        Decimal("0.1"), ROUND_HALF_UP
    )


def loss_ratio(year: int) -> LossRatio:
    """One query over the fund ledger (SPEC D9): corrections are entries of the same kind,
    so they are netted in."""
    sums = dict(
        LedgerEntry.objects.filter(year=year)
        .order_by()
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    return LossRatio(
        income=sums.get(EntryKind.FEE_INCOME) or ZERO,
        refunds=-(sums.get(EntryKind.REFUND) or ZERO),
        payouts=-(sums.get(EntryKind.PAYOUT) or ZERO),
        recoveries=sums.get(EntryKind.RECOVERY) or ZERO,
    )


def claim_statistics(*, year: int, unit: Unit | None = None) -> ClaimStatistics:
    """The year's claims (of one organizing unit when given): per benefit, per organizing
    unit and per Shanghai month of submission, approval times, the amounts approved and not
    yet paid, and the fund's loss ratio for the year (the ledger is the district's: the
    loss ratio is the same whichever unit is chosen). Five queries."""
    claims = Claim.objects.filter(year=year).order_by()
    if unit is not None:
        claims = claims.filter(organizing_unit=unit)

    benefits: dict[str, BenefitRow] = {}
    months: dict[datetime.date, MonthRow] = {}
    total = Figures()
    starts = month_starts(year)
    by_benefit_month = (
        claims.annotate(month=MonthBucket(F("submitted_at"), starts))
        .values_list("benefit", "state", "month")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    for benefit, state, bucket, n, amount in by_benefit_month:
        row = benefits.get(benefit)
        if row is None:
            row = benefits[benefit] = BenefitRow(
                benefit=benefit, label=str(BENEFIT_LABELS.get(benefit, benefit))
            )
        row.add(state, n, amount)
        # Outside the bounds (years away from the scheme year): the first or last month.
        day = starts[min(max(bucket, 1), len(starts)) - 1].date()
        month_row = months.get(day)
        if month_row is None:
            month_row = months[day] = MonthRow(month=day)
        month_row.add(state, n, amount)
        total.add(state, n, amount)

    units: dict[int, UnitRow] = {}
    # Grouped by the unit's id alone: joining the units for their names made this query
    # take twice as long at 200,000 claims; the few names are one more (small) query.
    by_unit = claims.values_list("organizing_unit", "state").annotate(
        n=Count("id"), amount=Sum("amount")
    )
    for unit_id, state, n, amount in by_unit:
        unit_row = units.get(unit_id)
        if unit_row is None:
            unit_row = units[unit_id] = UnitRow(unit_id=unit_id)
        unit_row.add(state, n, amount)
    if units:
        for unit_id, name in Unit.objects.filter(pk__in=list(units)).values_list("pk", "name"):
            units[unit_id].name = name

    elapsed = ElapsedSeconds(F("submitted_at"), F("decided_at"))
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    seconds: dict[str, float] = defaultdict(float)
    by_days = (
        claims.filter(decided_at__isnull=False, state__in=[*APPROVED, S.REJECTED])
        .annotate(days=WholeDays(elapsed))
        .values_list("benefit", "days")
        .annotate(n=Count("id"), seconds=Sum(elapsed))
    )
    for benefit, days, n, elapsed_seconds in by_days:
        # A decision recorded before the submission (a clock set back) counts as day 0.
        histograms[benefit][max(days, 0)] = histograms[benefit].get(max(days, 0), 0) + n
        seconds[benefit] += max(elapsed_seconds or 0.0, 0.0)

    everything: dict[int, int] = defaultdict(int)
    for benefit, histogram in histograms.items():
        row = benefits.get(benefit)
        if row is None:  # decided claims of a benefit always appear in the first query
            continue
        row.decided = sum(histogram.values())
        row.average_days = _days(seconds[benefit], row.decided)
        row.median_days = median_of_histogram(histogram)
        for days, n in histogram.items():
            everything[days] += n

    decided = sum(everything.values())
    return ClaimStatistics(
        year=year,
        unit=unit,
        total=total,
        benefits=sorted(benefits.values(), key=lambda r: _benefit_order(r.benefit)),
        units=sorted(units.values(), key=lambda r: (-r.submitted, r.name)),
        months=[months[day] for day in sorted(months)],
        loss_ratio=loss_ratio(year),
        decided=decided,
        average_days=_days(sum(seconds.values()), decided),
        median_days=median_of_histogram(everything),
    )


def _benefit_order(benefit: str) -> tuple[int, str]:
    order = list(BENEFIT_LABELS)
    return (order.index(benefit) if benefit in order else len(order), benefit)


def claim_years() -> list[int]:
    """The scheme years from the first with claims to the last, newest first: one query,
    two ends of an index (a DISTINCT would read every claim)."""
    ends = Claim.objects.aggregate(first=Min("year"), last=Max("year"))
    if ends["first"] is None:
        return []
    return list(range(ends["last"], ends["first"] - 1, -1))
