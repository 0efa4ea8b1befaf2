"""huzhu calc FILE: the benefit calculator on JSON cases (SPEC §10). `-` reads stdin."""

import json
import sys
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.policy.calculator import CalculatorInputError, calculate_payload
from huzhu.policy.selectors import current_policies


class Command(BaseCommand):
    help = "Calculate benefits for one JSON case or an array of cases; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON file, or - for standard input")

    def handle(self, *args, file, **options):
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()
        except OSError as exc:
            raise CommandError(
                _("Cannot read the file %(path)s: %(error)s")
                % {"path": file, "error": exc.strerror},
                returncode=2,
            ) from exc
        try:
            # Decimal, never float: amounts stay exact from the file to the answer.
            payload = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("Not valid JSON: %(error)s") % {"error": exc}, returncode=2
            ) from exc
        try:
            answer = calculate_payload(payload, current_policies())
        except CalculatorInputError as exc:
            for error in exc.errors:
                self.stderr.write(_("case %(index)s, field %(field)s: %(message)s") % error)
            raise CommandError(_("Nothing was calculated."), returncode=2) from exc
        self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2))
