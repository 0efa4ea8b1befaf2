"""huzhu calc FILE: the benefit calculator on JSON cases (SPEC §10). `-` reads stdin."""

import codecs
import gc
import io
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from huzhu.calcfront.answers import calculate_many
from huzhu.oserrors import describe_os_error
from huzhu.policy.calculator import CalculatorInputError, parse_all
from huzhu.policy.cases import CaseError
from huzhu.policy.jsontext import load_json
from huzhu.policy.selectors import current_policies


def takes_unicode(stream) -> bool:
    """Whether a stream can write every character (StringIO has no encoding: it can)."""
    encoding = getattr(stream, "encoding", None)
    return encoding is None or codecs.lookup(encoding).name in ("utf-8", "gb18030")


class Command(BaseCommand):
    help = "Calculate benefits for one JSON case or an array of cases; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON file, or - for standard input")

    def execute(self, *args, **options):
        # The answers and messages are Chinese. A terminal or pipe that cannot take them (a
        # Latin-1 locale, PYTHONIOENCODING=ascii) gets escapes, never a UnicodeEncodeError.
        for stream in (options.get("stdout") or sys.stdout, options.get("stderr") or sys.stderr):
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(errors="backslashreplace")
        return super().execute(*args, **options)

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                stdin = getattr(sys.stdin, "buffer", sys.stdin)
                text = stdin.read()
            else:
                with open(file, "rb") as handle:
                    text = handle.read()
        except OSError as exc:
            raise CommandError(
                _("Cannot read the file %(path)s: %(error)s")
                % {"path": file, "error": describe_os_error(exc)},
                returncode=2,
            ) from exc
        try:
            # Decimal, never float: amounts stay exact from the file to the answer.
            payload = load_json(text)
        except CaseError as exc:
            message = exc.message
            if exc.field:
                message = _("case %(index)s, field %(field)s: %(message)s") % {
                    "index": exc.index,
                    "field": exc.field,
                    "message": exc.message,
                }
            raise CommandError(message, returncode=2) from exc
        # The loaded cases live until the end and never change: the garbage collector need
        # not rescan them each time the answers being built trigger a collection.
        gc.freeze()
        try:
            policies = current_policies()
        except DatabaseError as exc:
            raise CommandError(
                _("The database is not ready (%(error)s): run “huzhu migrate” first.")
                % {"error": exc}
            ) from exc
        single = not isinstance(payload, list)
        try:
            cases = parse_all([payload] if single else payload, policies)
        except CalculatorInputError as exc:
            for error in exc.errors:
                self.stderr.write(_("case %(index)s, field %(field)s: %(message)s") % error)
            raise CommandError(_("Nothing was calculated."), returncode=2) from exc
        # Every case is valid: answers are written as they come, never held all at once.
        # Where the output cannot take Chinese, \uXXXX escapes keep it the same JSON.
        out = self.stdout
        ascii_only = not takes_unicode(out)
        results = calculate_many(cases, policies)
        if single:
            out.write(json.dumps(next(results), ensure_ascii=ascii_only, indent=2))
            return
        out.write("[", ending="\n")
        for index, result in enumerate(results):
            text = json.dumps(result, ensure_ascii=ascii_only)
            out.write(("," if index else "") + text, ending="\n")
        out.write("]")
