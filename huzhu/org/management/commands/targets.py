"""huzhu targets import FILE [--create-units] [--clear-unlisted] [--password]
huzhu targets report --year Y [--out FILE] [--unit NAME]"""

import getpass
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.dates import scheme_today
from huzhu.localfiles import LocalFileError, read_input_file
from huzhu.org.reports import breakdown_text, report_text, report_workbook
from huzhu.org.rules import TargetFileError, parse_target_table, shown_errors
from huzhu.org.selectors import (
    district_organizing_units,
    district_target_report,
    district_union_breakdown,
)
from huzhu.org.services import import_targets, new_unit_rows, unlisted_units
from huzhu.oserrors import describe_os_error
from huzhu.tabular import PasswordError, TableError, read_rows, too_large
from huzhu.uploads import record_rejected_upload
from huzhu.years import scheme_year, year_option_error


class Command(BaseCommand):
    help = "Import targets (附件1 layout, CSV or xlsx) or print the target report."
    # Tests hand the password prompt its input, as Django's createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        importing = verbs.add_parser("import", help="import a targets file")
        importing.add_argument("file")
        importing.add_argument(
            "--create-units",
            action="store_true",
            help="create the organizing units the file names and the tree does not hold",
        )
        importing.add_argument(
            "--clear-unlisted",
            action="store_true",
            help="clear the figures of organizing units the file does not list",
        )
        importing.add_argument(
            "--password",
            action="store_true",
            help="the workbook is encrypted: ask for its password (read from standard input "
            "when that is not a terminal); it is never shown or logged",
        )
        reporting = verbs.add_parser("report", help="print the target report of a year")
        reporting.add_argument("--year", required=True)
        reporting.add_argument("--out", help="write the report as .xlsx to this file")
        reporting.add_argument(
            "--unit",
            help="print one organizing unit's grassroots unions instead: their targets, "
            "paid enrollments and completion rates for the year",
        )

    def handle(self, *args, verb, **options):
        if verb == "import":
            password = (
                self.ask_password(options.get("stdin") or sys.stdin)
                if options["password"]
                else None
            )
            self.import_file(
                Path(options["file"]), options["create_units"], options["clear_unlisted"], password
            )
        else:
            year = scheme_year(options["year"])
            if year is None:
                raise CommandError(year_option_error("--year"), returncode=2)
            if options.get("unit"):
                self.breakdown(year, options["unit"])
            else:
                self.report(year, options.get("out"))

    def ask_password(self, stdin) -> str:
        # Not an option's value: that would stand in the shell history and in `ps`.
        try:
            if stdin.isatty():
                return getpass.getpass(_("Workbook password: "))
            return stdin.readline().rstrip("\r\n")
        except (EOFError, KeyboardInterrupt) as exc:
            raise CommandError(_("No password was entered."), returncode=2) from exc

    def import_file(
        self, path: Path, create_units: bool, clear_unlisted: bool, password: str | None
    ):
        try:
            size = path.stat().st_size
            error = too_large(size)
            # A device or a pipe is refused before it is read (huzhu.localfiles).
            content = b"" if error else read_input_file(path)
        except OSError as exc:
            raise CommandError(
                _("Cannot read the file %(path)s: %(error)s")
                % {"path": path, "error": describe_os_error(exc)},
                returncode=2,
            ) from exc
        except LocalFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        new: list[tuple[int, str]] = []
        unlisted: list[str] = []
        try:
            if error:
                raise error
            rows = read_rows(content, path.name, password=password)
            parsed = parse_target_table(rows, example_year=scheme_today().year)
            new = new_unit_rows(parsed)
            unlisted = unlisted_units(parsed)
            result = import_targets(
                actor=None,
                parsed=parsed,
                source=path.name,
                create_units={name for _row, name in new} if create_units else (),
                clear_units=set(unlisted) if clear_unlisted else (),
            )
        except PasswordError as exc:
            hint = [] if password else [_("Run the import again with --password.")]
            self.refuse(path, size, [str(exc), *hint])
        except TableError as exc:
            self.refuse(path, size, [str(exc)])
        except TargetFileError as exc:
            errors = exc.errors
            if new and not create_units:
                errors = [
                    *errors,
                    _("If these are new units, run the import again with --create-units."),
                ]
            if unlisted and not clear_unlisted:
                errors = [
                    *errors,
                    _(
                        "If the file is complete, run the import again with --clear-unlisted "
                        "to clear the figures of the units it does not list."
                    ),
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
        if result.cleared:
            self.stdout.write(
                _("Figures cleared for organizing units not in the file: %(names)s.")
                % {"names": "、".join(result.cleared)}
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

    def breakdown(self, year: int, name: str):
        unit = district_organizing_units().filter(name=name.strip()).first()
        if unit is None:
            raise CommandError(
                _("There is no active organizing unit named %(name)s.") % {"name": name},
                returncode=2,
            )
        sys.stdout.write(breakdown_text(district_union_breakdown(year=year, organizing=unit)))

    def report(self, year: int, out: str | None):
        report = district_target_report(year=year)
        if not report.has_figures:
            raise CommandError(
                _("There are no organizing units or targets for %(year)s.") % {"year": year},
                returncode=2,
            )
        if out:
            try:
                Path(out).write_bytes(report_workbook(report))
            except OSError as exc:
                raise CommandError(
                    _("Cannot write the file %(path)s: %(error)s")
                    % {"path": out, "error": describe_os_error(exc)},
                    returncode=2,
                ) from exc
            self.stdout.write(_("Written to %(path)s.") % {"path": out})
        else:
            sys.stdout.write(report_text(report))
