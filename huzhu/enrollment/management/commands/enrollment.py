"""huzhu enrollment count --year Y [--unit NAME] --json   (SPEC §12, exactly)
huzhu enrollment list --year Y [--unit NAME] [--state S] [--json]
huzhu enrollment lapse (--year Y | --due) [--dry-run] [--json]   (SPEC E2, scheduled daily)

Operators' commands: they read the whole district. Numbers are masked (SPEC S2)."""

import json
from json import dumps

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.enrollment.models import State
from huzhu.enrollment.rules import state_label
from huzhu.enrollment.selectors import district_counts, district_enrollments
from huzhu.org.models import Unit
from huzhu.payments.lapse import LapseError, due_years, lapse_unpaid
from huzhu.years import scheme_year, year_option_error


class Command(BaseCommand):
    help = "Count or list the enrollments of a scheme year."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        counting = verbs.add_parser("count", help="count a year's enrollments")
        listing = verbs.add_parser("list", help="list a year's enrollments")
        for sub in (counting, listing):
            sub.add_argument("--year", required=True)
            sub.add_argument("--unit", help="a unit's name: only its subtree")
            sub.add_argument("--json", action="store_true", help="print JSON")
        listing.add_argument("--state", help=f"one of {', '.join(State.values)}")
        lapsing = verbs.add_parser(
            "lapse", help="lapse the unpaid enrollments of years past their payment deadline"
        )
        which = lapsing.add_mutually_exclusive_group(required=True)
        which.add_argument("--year")
        which.add_argument("--due", action="store_true", help="every year past its deadline")
        lapsing.add_argument("--dry-run", action="store_true", help="count, change nothing")
        lapsing.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, verb, **options):
        if verb == "lapse":
            return self.lapse(**options)
        year = scheme_year(options["year"])
        if year is None:
            raise CommandError(year_option_error("--year"), returncode=2)
        unit = self.unit(options.get("unit"))
        if verb == "count":
            counts = district_counts(year=year, unit=unit)
            if options["json"]:
                self.stdout.write(json.dumps(counts, ensure_ascii=False))
            else:
                self.stdout.write(
                    _("%(year)s: %(n)s enrollments") % {"year": year, "n": counts["total"]}
                )
                for state, n in counts["by_state"].items():
                    self.stdout.write(f"  {state_label(state)}: {n}")
            return
        state = options.get("state")
        if state is not None and state not in State.values:
            raise CommandError(
                _("Unknown state %(state)s; use one of %(states)s.")
                % {"state": state, "states": ", ".join(State.values)},
                returncode=2,
            )
        rows = district_enrollments(year=year, state=state, unit=unit)
        for e in rows.iterator(chunk_size=500):
            union = e.grassroots_union.name if e.grassroots_union else ""
            if options["json"]:
                line = {
                    "id": e.pk,
                    "year": e.year,
                    "name": e.member.name,
                    "id_number": e.member.id_number_masked,
                    "organizing_unit": e.organizing_unit.name,
                    "grassroots_union": union,
                    "state": e.state,
                    "channel": getattr(e, "channel", None),
                }
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            else:
                self.stdout.write(
                    "\t".join(
                        [
                            e.member.name,
                            e.member.id_number_masked,
                            e.organizing_unit.name,
                            union,
                            state_label(e.state),
                            getattr(e, "channel", None) or "",
                        ]
                    )
                )

    def lapse(self, *, year, due, dry_run, json: bool, **options):
        if due:
            years = due_years()
        else:
            chosen = scheme_year(year)
            if chosen is None:
                raise CommandError(year_option_error("--year"), returncode=2)
            years = [chosen]
        results = []
        for each in years:
            try:
                results.append(lapse_unpaid(year=each, actor=None, dry_run=dry_run))
            except LapseError as exc:
                raise CommandError(exc.message, returncode=2) from exc
        if json:
            self.stdout.write(
                dumps(
                    [
                        {
                            "year": r.year,
                            "deadline": r.deadline.isoformat(),
                            "lapsed": r.lapsed,
                            "at_bank": r.at_bank,
                            "dry_run": dry_run,
                        }
                        for r in results
                    ]
                )
            )
            return
        for r in results:
            text = _("%(year)s (deadline %(deadline)s): %(n)s unpaid enrollments lapsed") % {
                "year": r.year,
                "deadline": r.deadline.isoformat(),
                "n": r.lapsed,
            }
            if dry_run:
                text += _(" (dry run: nothing changed)")
            if r.at_bank:
                text += _("; %(n)s still at the bank, left for the next run") % {"n": r.at_bank}
            self.stdout.write(text)

    def unit(self, name: str | None) -> Unit | None:
        if name is None:
            return None
        found = list(Unit.objects.filter(name=name.strip())[:2])
        if not found:
            raise CommandError(_("There is no unit named %(name)s.") % {"name": name}, returncode=2)
        if len(found) > 1:
            raise CommandError(
                _("Several units are named %(name)s.") % {"name": name}, returncode=2
            )
        return found[0]
