"""`huzhu roster import FILE --year Y [--password P] [--signed-on DATE] [--unit NAME]
[--renewal] [--dry-run] [--json]` (SPEC X1–X7, E6).

Exit 0 when the file was processed, even with rejected rows; 2 when it could not be read
or an option is wrong, with a Chinese message saying which. The rejected rows go to an
errors workbook (X4) written next to the input file as `<name>_错误说明.xlsx` (in the data
folder's `rosters/` when that folder cannot be written), also for a dry run; an import
also keeps it with the upload in the file store."""

import datetime
import json as jsonlib
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from huzhu.config import data_dir
from huzhu.dates import scheme_today
from huzhu.files.services import FileRefused
from huzhu.localfiles import LocalFileError, read_input_file, write_private
from huzhu.org.models import Unit, UnitKind
from huzhu.rosters.cli_output import ASK, ask_secret
from huzhu.rosters.importer import RosterResult, import_roster
from huzhu.rosters.models import RosterKind
from huzhu.rosters.reader import RosterFileError
from huzhu.rosters.services import keep_errors_workbook, mark_unreadable, record_command_upload
from huzhu.years import scheme_year, year_option_error


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _unit(name: str | None) -> Unit | None:
    if not name:
        return None
    found = list(Unit.objects.filter(kind=UnitKind.GRASSROOTS, active=True, name=name.strip())[:2])
    if not found:
        raise _fail(_("There is no active grassroots union named %(name)s.") % {"name": name})
    if len(found) > 1:
        raise _fail(
            _("Several grassroots unions are named %(name)s: rename one first.") % {"name": name}
        )
    return found[0]


def _signed_on(text: str | None) -> datetime.date:
    if not text:
        return scheme_today()
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            _("--signed-on must be a date written as YYYY-MM-DD, e.g. 2021-11-01.")
        ) from None


def read_roster_file(path: Path) -> bytes:
    try:
        return read_input_file(path)
    except LocalFileError as exc:
        raise _fail(exc.message) from exc


def errors_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}_错误说明.xlsx")


def _write_errors(source: Path, content: bytes) -> Path:
    # Owner-only: the rejected rows carry full ID and phone numbers (SPEC S2).
    target = errors_path(source)
    try:
        write_private(target, content)
    except LocalFileError:
        folder = data_dir() / "rosters"
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / target.name
        try:
            write_private(target, content)
        except LocalFileError as exc:
            raise _fail(exc.message) from exc
    return target.resolve()


def run_import(command, *, file, year, password, signed_on, unit, renewal, dry_run, json, **_rest):
    chosen_year = scheme_year(year)
    if chosen_year is None:
        raise _fail(year_option_error("--year"))
    day = _signed_on(signed_on)
    union = _unit(unit)
    kind = RosterKind.RENEWAL if renewal else RosterKind.NEW
    if password == ASK:
        password = ask_secret(_("Workbook password: "), _("No password was entered."))
    path = Path(file)
    content = read_roster_file(path)
    upload = None
    if not dry_run:
        try:
            upload = record_command_upload(
                content=content,
                name=path.name,
                year=chosen_year,
                kind=kind,
                unit=union,
                signed_on=day,
            )
        except FileRefused as exc:
            raise _fail(exc.message) from exc
    try:
        result = import_roster(
            content=content,
            filename=path.name,
            password=password,
            year=chosen_year,
            kind=kind,
            signed_on=day,
            unit=union,
            actor=None,
            dry_run=dry_run,
            upload=upload,
        )
    except RosterFileError as exc:
        if upload is not None:
            mark_unreadable(upload=upload, message=exc.message)
        raise _fail(
            _("%(name)s could not be read: %(reason)s Nothing was imported.")
            % {"name": path.name, "reason": exc.message}
        ) from exc
    written = None
    if result.errors_workbook is not None:
        written = _write_errors(path, result.errors_workbook)
        if upload is not None:
            keep_errors_workbook(
                upload=upload, content=result.errors_workbook, name=written.name, actor=None
            )
    _report(command, result, written, as_json=json, dry_run=dry_run)


def _report(command, result: RosterResult, written: Path | None, *, as_json: bool, dry_run: bool):
    if as_json:
        command.stdout.write(
            jsonlib.dumps(
                {
                    "imported": result.imported,
                    "already_enrolled": result.already_enrolled,
                    "rejected": result.rejected,
                    "rejected_rows": [
                        {"row": row.row, "errors": row.errors} for row in result.rejected_rows
                    ],
                    "errors_file": str(written) if written is not None else None,
                },
                ensure_ascii=False,
            )
        )
        return
    if dry_run:
        command.stdout.write(_("Dry run: nothing was written."))
    command.stdout.write(
        _("Imported: %(imported)s; already enrolled: %(already)s; rejected: %(rejected)s.")
        % {
            "imported": result.imported,
            "already": result.already_enrolled,
            "rejected": result.rejected,
        }
    )
    for row in result.rejected_rows[:20]:
        command.stdout.write(
            _("Row %(row)s: %(errors)s") % {"row": row.row, "errors": "；".join(row.errors)}
        )
    if len(result.rejected_rows) > 20:
        command.stdout.write(
            _("… and %(count)s more rejected rows.") % {"count": len(result.rejected_rows) - 20}
        )
    if written is not None:
        command.stdout.write(_("Rejected rows with their reasons: %(path)s") % {"path": written})
