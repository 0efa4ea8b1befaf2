"""huzhu targets import FILE | huzhu targets report --year Y [--out FILE]"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.org.reports import report_text, report_workbook
from huzhu.org.rules import TargetFileError, parse_target_table
from huzhu.org.selectors import target_report
from huzhu.org.services import import_targets
from huzhu.tabular import TableError, read_rows


class Command(BaseCommand):
    help = "Import targets (附件1 layout, CSV or xlsx) or print the target report."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        importing = verbs.add_parser("import", help="import a targets file")
        importing.add_argument("file")
        reporting = verbs.add_parser("report", help="print the target report of a year")
        reporting.add_argument("--year", type=int, required=True)
        reporting.add_argument("--out", help="write the report as .xlsx to this file")

    def handle(self, *args, verb, **options):
        if verb == "import":
            self.import_file(Path(options["file"]))
        else:
            self.report(options["year"], options.get("out"))

    def import_file(self, path: Path):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read the file %(path)s: %(error)s")
                % {"path": path, "error": exc.strerror},
                returncode=2,
            ) from exc
        try:
            parsed = parse_target_table(read_rows(content, path.name))
        except TableError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except TargetFileError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                _("%(name)s: nothing was imported.") % {"name": path.name}, returncode=2
            ) from exc
        result = import_targets(actor=None, parsed=parsed, source=path.name)
        self.stdout.write(
            _("Imported the %(year)s targets: %(units)s organizing units (%(created)s new).")
            % {"year": result["year"], "units": result["units"], "created": result["created_units"]}
        )

    def report(self, year: int, out: str | None):
        report = target_report(year)
        if not report.rows:
            raise CommandError(
                _("There are no organizing units or targets for %(year)s.") % {"year": year},
                returncode=2,
            )
        if out:
            Path(out).write_bytes(report_workbook(report))
            self.stdout.write(_("Written to %(path)s.") % {"path": out})
        else:
            sys.stdout.write(report_text(report))
