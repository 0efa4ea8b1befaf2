"""Reconciliation (SPEC D9): the ledger against the records the money moved by.

Per batch: the request file's total = debited + failed items, and the fee income booked for
the batch = the debited items (= what the bank's result file says was taken). Per day: each
kind booked that day = the batches settled, self-payments paid and refunds made that day;
the benefits paid by payout batches (SPEC C4) and the recoveries recorded that day.
Corrections are new entries (never edits) and are shown apart, with their reasons, so an
auditor sees both what was posted from the bank's records and what people changed."""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from huzhu.claims.models import (
    PayoutBatch,
    PayoutBatchState,
    PayoutItem,
    PayoutOutcome,
    RecoveryPayment,
)
from huzhu.dates import SCHEME_ZONE
from huzhu.files.services import open_stored
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.payments import bankfile
from huzhu.payments.models import (
    BankFileRecord,
    BatchState,
    DeductionBatch,
    DeductionItem,
    FileKind,
    Outcome,
    Refund,
    SelfPayment,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BankFigures:
    """What the bank's stored result file says was debited, read again from the store."""

    debited_count: int = 0
    debited: Decimal = ZERO
    problem: str = ""


def bank_figures(batch: DeductionBatch) -> BankFigures | None:
    """The debited count and amount of `batch`'s result file as kept in the file store
    (checked against the hash it had when received), or None when no file was kept."""
    record = (
        BankFileRecord.objects.filter(batch=batch, kind=FileKind.RESULT)
        .select_related("file")
        .first()
    )
    if record is None or record.file is None:
        return None
    try:
        with open_stored(record.file) as handle:
            content = handle.read()
    except FileNotFoundError:
        return BankFigures(problem=_("The bank's result file is missing from the file store."))
    if hashlib.sha256(content).hexdigest() != record.sha256:
        return BankFigures(
            problem=_("The stored result file is not the file received: its hash differs.")
        )
    try:
        result = bankfile.bank_file_format().parse_result(content)
    except bankfile.PaymentFileError as exc:
        return BankFigures(problem=exc.errors[0])
    fen = [result.fen[n] for n, code in enumerate(result.codes) if code == bankfile.DEBITED]
    return BankFigures(debited_count=len(fen), debited=Decimal(sum(fen)) / 100)


@dataclass
class BatchCheck:
    batch: DeductionBatch
    debited_count: int = 0
    debited: Decimal = ZERO
    failed_count: int = 0
    failed: Decimal = ZERO
    booked: Decimal = ZERO
    corrections: Decimal = ZERO
    # Read only when asked (the file of a million items takes seconds).
    bank: BankFigures | None = None

    @property
    def requested(self) -> Decimal:
        return self.batch.total

    @property
    def items_balance(self) -> bool:
        """The request file's total is accounted for, item by item."""
        return self.debited + self.failed == self.batch.total and (
            self.debited_count + self.failed_count == self.batch.item_count
        )

    @property
    def booked_balance(self) -> bool:
        return self.booked == self.debited

    @property
    def bank_balance(self) -> bool:
        """The bank's own file says what the books say (True when it was not read)."""
        if self.bank is None:
            return True
        return not self.bank.problem and (
            self.bank.debited == self.booked and self.bank.debited_count == self.debited_count
        )

    @property
    def balanced(self) -> bool:
        return self.items_balance and self.booked_balance and self.bank_balance

    def read_bank_file(self) -> None:
        self.bank = bank_figures(self.batch)


def batch_checks(
    *, year: int | None = None, batches=None, read_files: bool = False
) -> list[BatchCheck]:
    """Settled batches, newest first, in three queries whatever their number."""
    if batches is None:
        batches = DeductionBatch.objects.filter(state=BatchState.SETTLED)
        if year is not None:
            batches = batches.filter(year=year)
    checks = {batch.pk: BatchCheck(batch=batch) for batch in batches}
    if not checks:
        return []
    for row in (
        DeductionItem.objects.filter(batch_id__in=checks)
        .values("batch_id", "outcome")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        check = checks[row["batch_id"]]
        if row["outcome"] == Outcome.DEBITED:
            check.debited_count, check.debited = row["n"], row["total"]
        elif row["outcome"] == Outcome.FAILED:
            check.failed_count, check.failed = row["n"], row["total"]
    for row in (
        LedgerEntry.objects.filter(deduction_batch_id__in=checks, kind=EntryKind.FEE_INCOME)
        .values("deduction_batch_id")
        .annotate(
            booked=Sum("amount", filter=Q(corrects__isnull=True)),
            corrections=Sum("amount", filter=Q(corrects__isnull=False)),
        )
        .order_by()
    ):
        check = checks[row["deduction_batch_id"]]
        check.booked = row["booked"] or ZERO
        check.corrections = row["corrections"] or ZERO
    if read_files:
        for check in checks.values():
            check.read_bank_file()
    return list(checks.values())


@dataclass
class PayoutBatchCheck:
    """A settled payout batch (SPEC C4, D9): the request file's total = paid + failed
    items (the lines sent to the bank), and the benefit booked = what its paid items paid
    (sent to the cards plus offset against recoveries)."""

    batch: PayoutBatch
    paid_count: int = 0
    paid: Decimal = ZERO
    offsets: Decimal = ZERO
    failed_count: int = 0
    failed: Decimal = ZERO
    # Bank lines (amount > 0) among the paid: a payout offset in full needs no bank line.
    paid_bank_count: int = 0
    booked: Decimal = ZERO
    corrections: Decimal = ZERO

    @property
    def requested(self) -> Decimal:
        return self.batch.total

    @property
    def benefit(self) -> Decimal:
        return self.paid + self.offsets

    @property
    def items_balance(self) -> bool:
        return self.paid + self.failed == self.batch.total and (
            self.paid_bank_count + self.failed_count == self.batch.item_count
        )

    @property
    def booked_balance(self) -> bool:
        return -self.booked == self.benefit

    @property
    def balanced(self) -> bool:
        return self.items_balance and self.booked_balance


def payout_batch_checks(*, batches=None) -> list[PayoutBatchCheck]:
    """Settled payout batches, newest first, in two queries whatever their number."""
    if batches is None:
        batches = PayoutBatch.objects.filter(state=PayoutBatchState.SETTLED)
    checks = {batch.pk: PayoutBatchCheck(batch=batch) for batch in batches}
    if not checks:
        return []
    for row in (
        PayoutItem.objects.filter(batch_id__in=checks)
        .values("batch_id", "outcome")
        .annotate(
            n=Count("pk"),
            bank=Count("pk", filter=Q(amount__gt=0)),
            total=Sum("amount"),
            offsets=Sum("offset"),
        )
        .order_by()
    ):
        check = checks[row["batch_id"]]
        if row["outcome"] == PayoutOutcome.PAID:
            check.paid_count, check.paid = row["n"], row["total"]
            check.offsets, check.paid_bank_count = row["offsets"], row["bank"]
        elif row["outcome"] == PayoutOutcome.FAILED:
            check.failed_count, check.failed = row["n"], row["total"]
    for row in (
        LedgerEntry.objects.filter(payout_batch_id__in=checks, kind=EntryKind.PAYOUT)
        .values("payout_batch_id")
        .annotate(
            booked=Sum("amount", filter=Q(corrects__isnull=True)),
            corrections=Sum("amount", filter=Q(corrects__isnull=False)),
        )
        .order_by()
    ):
        check = checks[row["payout_batch_id"]]
        check.booked = row["booked"] or ZERO
        check.corrections = row["corrections"] or ZERO
    return list(checks.values())


KINDS = [kind.value for kind in EntryKind]


@dataclass
class DayCheck:
    day: datetime.date
    booked: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))
    corrections: Decimal = ZERO
    expected: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))

    @property
    def net(self) -> Decimal:
        return sum(self.booked.values(), ZERO) + self.corrections

    @property
    def differences(self) -> dict[str, Decimal]:
        """Kind → booked minus expected, for the kinds that differ."""
        return {
            kind: self.booked[kind] - self.expected[kind]
            for kind in KINDS
            if self.booked[kind] != self.expected[kind]
        }

    @property
    def balanced(self) -> bool:
        return not self.differences


def _by_day(rows) -> dict[datetime.date, Decimal]:
    return {row["day"]: row["total"] or ZERO for row in rows}


def day_checks(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[DayCheck]:
    """One row per Shanghai day with any booking or any money moved, oldest first."""
    entries = LedgerEntry.objects.all()
    if start is not None:
        entries = entries.filter(booked_on__gte=start)
    if end is not None:
        entries = entries.filter(booked_on__lte=end)
    days: dict[datetime.date, DayCheck] = {}

    def day(on: datetime.date) -> DayCheck:
        if on not in days:
            days[on] = DayCheck(day=on)
        return days[on]

    for row in (
        entries.values("booked_on", "kind")
        .annotate(
            original=Sum("amount", filter=Q(corrects__isnull=True)),
            corrected=Sum("amount", filter=Q(corrects__isnull=False)),
        )
        .order_by()
    ):
        check = day(row["booked_on"])
        check.booked[row["kind"]] += row["original"] or ZERO
        check.corrections += row["corrected"] or ZERO

    def within(queryset, amount="amount"):
        if start is not None:
            queryset = queryset.filter(day__gte=start)
        if end is not None:
            queryset = queryset.filter(day__lte=end)
        return queryset.values("day").annotate(total=Sum(amount)).order_by()

    debits = within(
        DeductionItem.objects.filter(
            outcome=Outcome.DEBITED, batch__files__kind=FileKind.RESULT
        ).annotate(day=TruncDate("batch__files__received_at", tzinfo=SCHEME_ZONE))
    )
    own = within(SelfPayment.objects.annotate(day=TruncDate("paid_at", tzinfo=SCHEME_ZONE)))
    made = within(
        Refund.objects.filter(made_at__isnull=False).annotate(
            day=TruncDate("made_at", tzinfo=SCHEME_ZONE)
        )
    )
    income: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for source in (_by_day(debits), _by_day(own)):
        for on, total in source.items():
            income[on] += total
    for on, total in income.items():
        day(on).expected[EntryKind.FEE_INCOME] += total
    for on, total in _by_day(made).items():
        day(on).expected[EntryKind.REFUND] -= total
    # Benefits paid: a paid payout's claim is paid at the moment its batch is settled.
    benefits = within(
        PayoutItem.objects.filter(outcome=PayoutOutcome.PAID).annotate(
            day=TruncDate("claim__paid_at", tzinfo=SCHEME_ZONE)
        ),
        F("amount") + F("offset"),
    )
    for on, total in _by_day(benefits).items():
        day(on).expected[EntryKind.PAYOUT] -= total
    recovered = within(
        RecoveryPayment.objects.annotate(day=TruncDate("recorded_at", tzinfo=SCHEME_ZONE))
    )
    for on, total in _by_day(recovered).items():
        day(on).expected[EntryKind.RECOVERY] += total
    return [days[on] for on in sorted(days)]


def balance(*, until: datetime.date | None = None) -> Decimal:
    """The fund's balance: the sum of every entry (corrections included)."""
    entries = LedgerEntry.objects.all()
    if until is not None:
        entries = entries.filter(booked_on__lte=until)
    return entries.aggregate(total=Sum("amount"))["total"] or ZERO


__all__ = [
    "BatchCheck",
    "DayCheck",
    "PayoutBatchCheck",
    "balance",
    "batch_checks",
    "day_checks",
    "payout_batch_checks",
]
