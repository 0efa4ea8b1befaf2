"""huzhu ledger days [--from DATE] [--to DATE] [--json]     (SPEC D9: daily totals)
huzhu ledger reconcile [--year Y] [--files] [--json]         (per batch and per day;
                                                             --files reads the bank's files again)
huzhu ledger correct ENTRY --amount A --reason TEXT          (a correcting entry, audited)

`reconcile` exits 1 when anything does not balance, so a scheduler can alert on it."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.ledger import reconcile
from huzhu.ledger.models import EntryKind
from huzhu.ledger.services import LedgerError, correct, parse_amount
from huzhu.money import format_yuan as yuan
from huzhu.years import scheme_year, year_option_error


def _date(text: str | None, option: str) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            _("%(option)s must be a date like 2022-01-31.") % {"option": option}, returncode=2
        ) from exc


class Command(BaseCommand):
    help = "The fund ledger: daily totals, reconciliation, corrections."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        days = verbs.add_parser("days", help="daily totals")
        days.add_argument("--from", dest="start")
        days.add_argument("--to", dest="end")
        days.add_argument("--json", action="store_true")
        checking = verbs.add_parser("reconcile", help="check the ledger against the bank files")
        checking.add_argument("--year")
        checking.add_argument(
            "--files", action="store_true", help="read each batch's stored result file again"
        )
        checking.add_argument("--json", action="store_true")
        fixing = verbs.add_parser("correct", help="add a correcting entry")
        fixing.add_argument("entry", type=int)
        fixing.add_argument("--amount", required=True)
        fixing.add_argument("--reason", required=True)

    def handle(self, *args, verb, **options):
        if verb == "correct":
            try:
                entry = correct(
                    entry_id=options["entry"],
                    amount=parse_amount(options["amount"]),
                    reason=options["reason"],
                    actor=None,
                )
            except LedgerError as exc:
                raise CommandError(exc.message, returncode=2) from exc
            self.stdout.write(_("Correcting entry %(id)s recorded.") % {"id": entry.pk})
            return
        if verb == "days":
            rows = reconcile.day_checks(
                start=_date(options["start"], "--from"), end=_date(options["end"], "--to")
            )
            self.days(rows, as_json=options["json"])
            return
        year = None
        if options["year"] is not None:
            year = scheme_year(options["year"])
            if year is None:
                raise CommandError(year_option_error("--year"), returncode=2)
        self.reconcile(year, as_json=options["json"], read_files=options["files"])

    def days(self, rows, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "day": row.day.isoformat(),
                            "booked": {k: yuan(v) for k, v in row.booked.items()},
                            "corrections": yuan(row.corrections),
                            "net": yuan(row.net),
                            "balanced": row.balanced,
                        }
                        for row in rows
                    ]
                )
            )
            return
        for row in rows:
            kinds = "  ".join(
                f"{EntryKind(kind).label}{yuan(amount)}" for kind, amount in row.booked.items()
            )
            self.stdout.write(f"{row.day}  {kinds}  {_('net')}{yuan(row.net)}")

    def reconcile(self, year: int | None, *, as_json: bool, read_files: bool) -> None:
        batches = reconcile.batch_checks(year=year, read_files=read_files)
        days = reconcile.day_checks()
        payouts = reconcile.payout_batch_checks()
        unbalanced = [
            *(b for b in batches if not b.balanced),
            *(p for p in payouts if not p.balanced),
            *(d for d in days if not d.balanced),
        ]
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "balanced": not unbalanced,
                        "batches": [
                            {
                                "batch": b.batch.number,
                                "requested": yuan(b.requested),
                                "debited": yuan(b.debited),
                                "failed": yuan(b.failed),
                                "booked": yuan(b.booked),
                                "corrections": yuan(b.corrections),
                                "bank_file": (
                                    None
                                    if b.bank is None
                                    else {
                                        "debited_count": b.bank.debited_count,
                                        "debited": yuan(b.bank.debited),
                                        "problem": b.bank.problem,
                                    }
                                ),
                                "balanced": b.balanced,
                            }
                            for b in batches
                        ],
                        "payout_batches": [
                            {
                                "batch": p.batch.number,
                                "requested": yuan(p.requested),
                                "paid": yuan(p.paid),
                                "offsets": yuan(p.offsets),
                                "failed": yuan(p.failed),
                                "booked": yuan(p.booked),
                                "corrections": yuan(p.corrections),
                                "balanced": p.balanced,
                            }
                            for p in payouts
                        ],
                        "days": [
                            {
                                "day": d.day.isoformat(),
                                "differences": {k: yuan(v) for k, v in d.differences.items()},
                                "balanced": d.balanced,
                            }
                            for d in days
                        ],
                        "fund_balance": yuan(reconcile.balance()),
                    }
                )
            )
        else:
            for b in batches:
                mark = _("balanced") if b.balanced else _("NOT BALANCED")
                self.stdout.write(
                    f"{b.batch.number}  {_('requested')}{yuan(b.requested)}  "
                    f"{_('debited')}{yuan(b.debited)}  {_('failed')}{yuan(b.failed)}  "
                    f"{_('booked')}{yuan(b.booked)}  {mark}"
                    + (f"  {b.bank.problem}" if b.bank is not None and b.bank.problem else "")
                )
            for p in payouts:
                mark = _("balanced") if p.balanced else _("NOT BALANCED")
                self.stdout.write(
                    f"{p.batch.number}  {_('Requested payouts')}{yuan(p.requested)}  "
                    f"{_('Paid out')}{yuan(p.paid)}  {_('Offset')}{yuan(p.offsets)}  "
                    f"{_('Payout failed')}{yuan(p.failed)}  {_('booked')}{yuan(p.booked)}  {mark}"
                )
            for d in days:
                if not d.balanced:
                    self.stdout.write(
                        f"{d.day}  {_('NOT BALANCED')}  "
                        + "  ".join(
                            f"{EntryKind(k).label}{yuan(v)}" for k, v in d.differences.items()
                        )
                    )
            self.stdout.write(_("Fund balance: %(amount)s") % {"amount": yuan(reconcile.balance())})
        if unbalanced:
            raise CommandError(_("The ledger does not balance."), returncode=1)
