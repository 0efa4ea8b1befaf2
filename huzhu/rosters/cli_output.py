"""`huzhu roster export` and `huzhu roster forms` (SPEC X8, X9): the district operator's
commands, so they read the whole district and write full numbers only into an encrypted
workbook or onto the forms members sign. Exit 2 with a Chinese message for bad input."""

import getpass
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from huzhu.localfiles import LocalFileError, write_private
from huzhu.members.models import Member
from huzhu.members.rules import InvalidValue, clean_id_number
from huzhu.org.models import Unit
from huzhu.rosters.export import ExportError, export_roster
from huzhu.rosters.forms_pdf import forms_filename, member_form, unit_forms
from huzhu.rosters.selectors import member_with_id_number, roster_unit_named
from huzhu.years import scheme_year, year_option_error

# `--password` without a value (or "-"): ask for it rather than take it from the command
# line, where it would stand in the shell history and in `ps`.
ASK = "-"


def _year(value: str) -> int:
    year = scheme_year(value)
    if year is None:
        raise CommandError(year_option_error("--year"), returncode=2)
    return year


def _unit(name: str) -> Unit:
    found = roster_unit_named(name)
    if not found:
        raise CommandError(_("There is no unit named %(name)s.") % {"name": name}, returncode=2)
    if len(found) > 1:
        raise CommandError(_("Several units are named %(name)s.") % {"name": name}, returncode=2)
    return found[0]


def _member(id_number: str) -> Member:
    try:
        clean = clean_id_number(id_number)
    except InvalidValue as exc:
        raise CommandError(f"--member：{exc.message}", returncode=2) from exc
    member = member_with_id_number(clean)
    if member is None:
        raise CommandError(_("No member is registered with this ID number."), returncode=2)
    return member


def ask_secret(prompt: str, missing: str) -> str:
    """A value typed without echo at a terminal, else the first line of standard input:
    kept out of the shell history and `ps`. `missing` is the message when none comes."""
    try:
        if sys.stdin.isatty():
            value = getpass.getpass(prompt)
        else:
            value = sys.stdin.readline().rstrip("\r\n")
    except (EOFError, KeyboardInterrupt) as exc:
        raise CommandError(missing, returncode=2) from exc
    if not value:
        raise CommandError(missing, returncode=2)
    return value


def _ask_password() -> str:
    return ask_secret(_("Workbook password: "), _("No password was entered."))


def _write(path: Path, content: bytes) -> None:
    """Owner-only: forms carry full numbers, and an export may (SPEC S2)."""
    try:
        write_private(path, content)
    except LocalFileError as exc:
        raise CommandError(exc.message, returncode=2) from exc


def run_export(command, *, year: str, unit: str, password: str | None, out: str, **_options):
    scheme = _year(year)
    found = _unit(unit)
    if password == ASK:
        password = _ask_password()
    try:
        result = export_roster(actor=None, unit=found, year=scheme, password=password)
    except ExportError as exc:
        raise CommandError(exc.message, returncode=2) from exc
    path = Path(out) / result.filename
    _write(path, result.content)
    if result.encrypted:
        message = _(
            "Wrote %(count)s rows of %(unit)s for %(year)s to %(path)s, encrypted with the "
            "password, with full numbers."
        )
    else:
        message = _(
            "Wrote %(count)s rows of %(unit)s for %(year)s to %(path)s, numbers masked "
            "(give --password for full numbers in an encrypted file)."
        )
    command.stdout.write(
        message % {"count": result.count, "unit": found.name, "year": scheme, "path": path}
    )


def run_forms(
    command, *, year: str, unit: str | None, member: str | None, out: str | None, **_options
):
    scheme = _year(year)
    if unit is not None:
        found = _unit(unit)
        try:
            content, pages = unit_forms(actor=None, unit=found, year=scheme)
        except ExportError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        name = found.name
    else:
        if member == ASK:
            # A full ID number on the command line stands in the shell history and `ps`.
            member = ask_secret(_("ID number: "), _("No ID number was entered."))
        person = _member(member or "")
        content, pages = member_form(actor=None, member=person, year=scheme), 1
        name = person.name
    path = Path(out) if out else Path(forms_filename(name, scheme))
    _write(path, content)
    command.stdout.write(
        _("Wrote %(count)s authorization forms to %(path)s.") % {"count": pages, "path": path}
    )
