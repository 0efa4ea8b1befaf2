"""huzhu targets import FILE [--create-units] | huzhu targets report --year Y [--out FILE]"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.org.reports import report_text, report_workbook
from huzhu.org.rules import TargetFileError, parse_target_table, shown_errors
from huzhu.org.selectors import target_report
from huzhu.org.services import import_targets, new_unit_rows
from huzhu.oserrors import describe_os_error
from huzhu.tabular import TableError, read_rows, too_large
from huzhu.uploads import record_rejected_upload
from huzhu.years import scheme_year, year_option_error


class Command(BaseCommand):
    help = "Import targets (附件1 layout, CSV or xlsx) or print the target report."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        importing = verbs.add_parser("import", help="import a targets file")
        importing.add_argument("file")
        importing.add_argument(
            "--create-units",
            action="store_true",
            help="create the organizing units the file names and the tree does not hold",
        )
        reporting = verbs.add_parser("report", help="print the target report of a year")
        reporting.add_argument("--year", type=int, required=True)
        reporting.add_argument("--out", help="write the report as .xlsx to this file")

    def handle(self, *args, verb, **options):
        if verb == "import":
            self.import_file(Path(options["file"]), options["create_units"])
        else:
            year = scheme_year(options["year"])
            if year is None:
                raise CommandError(year_option_error("--year"), returncode=2)
            self.report(year, options.get("out"))

    def import_file(self, path: Path, create_units: bool):
        try:
            size = path.stat().st_size
            error = too_large(size)
            content = b"" if error else path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read the file %(path)s: %(error)s")
                % {"path": path, "error": describe_os_error(exc)},
                returncode=2,
            ) from exc
        new: list[tuple[int, str]] = []
        try:
            if error:
                raise error
            parsed = parse_target_table(read_rows(content, path.name))
            new = new_unit_rows(parsed)
            result = import_targets(
                actor=None,
                parsed=parsed,
                source=path.name,
                create_units={name for _row, name in new} if create_units else (),
            )
        except TableError as exc:
            self.refuse(path, size, [str(exc)])
        except TargetFileError as exc:
            errors = exc.errors
            if new and not create_units:
                errors = [
                    *errors,
                    _("If these are new units, run the import again with --create-units."),
                ]
            self.refuse(path, size, errors)
        if result.first_import:
            self.stdout.write(
                _("The tree held no organizing units: %(count)s were created from the file.")
                % {"count": len(result.created)}
            )
        elif result.created:
            self.stdout.write(
                _("New organizing units created: %(names)s.") % {"names": "、".join(result.created)}
            )
        self.stdout.write(
            _("Imported the %(year)s targets: %(units)s organizing units (%(created)s new).")
            % {"year": result.year, "units": result.units, "created": len(result.created)}
        )

    def refuse(self, path: Path, size: int, errors: list[str]):
        record_rejected_upload(
            actor=None, kind="targets", name=path.name, size=size, reasons=errors
        )
        for error in shown_errors(errors):
            self.stderr.write(error)
        raise CommandError(_("%(name)s: nothing was imported.") % {"name": path.name}, returncode=2)

    def report(self, year: int, out: str | None):
        report = target_report(year)
        if not report.has_figures:
            raise CommandError(
                _("There are no organizing units or targets for %(year)s.") % {"year": year},
                returncode=2,
            )
        if out:
            Path(out).write_bytes(report_workbook(report))
            self.stdout.write(_("Written to %(path)s.") % {"path": out})
        else:
            sys.stdout.write(report_text(report))
