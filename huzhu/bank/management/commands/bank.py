"""The simulated bank (SPEC §7a, D4):

    huzhu bank simulate-signing --url URL --year Y --name … --id-number … …
    huzhu bank simulate-payment --url URL --year Y --id-number … --amount 30.00 [--transaction-id …]
    huzhu bank simulate-deduction REQUEST_FILE --out RESULT_FILE [--fail CARD=REASON …]
        [--fail-rate 0.1 --seed 1]
    huzhu bank simulate-payout REQUEST_FILE --out RESULT_FILE [--fail CARD_OR_ITEM=REASON …]
        [--fail-rate 0.1 --seed 1]

The notices are signed as a real bank signs them and posted to a running huzhu (the demo, a
test server); the answer is printed. A deduction request file is answered with the bank's
result file; a malformed request exits 2 naming the line."""

import datetime
import json
import urllib.error
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.bank import simulated_bank
from huzhu.dates import SCHEME_ZONE
from huzhu.oserrors import os_error_line, returncode


class Command(BaseCommand):
    help = "Play the bank: send a signed signing notice to a huzhu server."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        sub = verbs.add_parser("simulate-signing", help="send a signing notice")
        sub.add_argument(
            "--url", required=True, help="the huzhu server, e.g. http://127.0.0.1:8000"
        )
        sub.add_argument("--year", type=int, required=True)
        sub.add_argument("--occurred-at", help="ISO 8601 with offset; default now in Shanghai")
        sub.add_argument("--notice-id", help="default: a new random id")
        sub.add_argument("--name", required=True)
        sub.add_argument("--id-number", required=True)
        sub.add_argument("--phone", required=True)
        sub.add_argument("--union-card", required=True)
        sub.add_argument("--town", required=True, help="the organizing unit's name")
        sub.add_argument("--employer", default="")
        sub.add_argument("--no-insurance", action="store_true")
        sub.add_argument("--scope", default="jiangsu", choices=["jiangsu", "other_province"])
        pay = verbs.add_parser("simulate-payment", help="send a self-payment notice")
        pay.add_argument("--url", required=True, help="the huzhu server")
        pay.add_argument("--year", type=int, required=True)
        pay.add_argument("--occurred-at", help="ISO 8601 with offset; default now in Shanghai")
        pay.add_argument("--notice-id", help="default: a new random id")
        pay.add_argument("--id-number", required=True)
        pay.add_argument("--amount", required=True, help="yuan, e.g. 30.00")
        pay.add_argument("--transaction-id", help="default: a new random id")
        deduct = verbs.add_parser("simulate-deduction", help="answer a deduction request file")
        deduct.add_argument("request_file")
        deduct.add_argument("--out", required=True, help="where to write the result file")
        deduct.add_argument(
            "--fail",
            action="append",
            default=[],
            metavar="CARD=REASON",
            help="this card fails; REASON: " + ", ".join(simulated_bank.REASONS),
        )
        deduct.add_argument("--fail-rate", type=float, default=0.0)
        deduct.add_argument("--seed", type=int)
        payout = verbs.add_parser("simulate-payout", help="answer a payout request file")
        payout.add_argument("request_file")
        payout.add_argument("--out", required=True, help="where to write the result file")
        payout.add_argument(
            "--fail",
            action="append",
            default=[],
            metavar="CARD_OR_ITEM=REASON",
            help="this card or item fails; REASON: " + ", ".join(simulated_bank.REASONS),
        )
        payout.add_argument("--fail-rate", type=float, default=0.0)
        payout.add_argument("--seed", type=int)

    def handle(self, *args, verb, **o):
        if verb == "simulate-deduction":
            return self.deduction(o)
        if verb == "simulate-payout":
            return self.deduction(o, answer_file=simulated_bank.answer_payout_file)
        now = datetime.datetime.now(SCHEME_ZONE)
        occurred = o["occurred_at"] or now.isoformat(timespec="seconds")
        if verb == "simulate-payment":
            try:
                amount = Decimal(o["amount"])
            except InvalidOperation:
                amount = Decimal("NaN")
            if not amount.is_finite() or amount <= 0:
                raise CommandError(
                    _("--amount must be an amount in yuan such as 30.00."), returncode=2
                )
            notice = simulated_bank.payment_notice(
                year=o["year"],
                occurred_at=occurred,
                id_number=o["id_number"],
                amount=amount,
                transaction_id=o["transaction_id"],
                notice_id=o["notice_id"],
            )
            return self.post(notice, o["url"])
        notice = simulated_bank.signing_notice(
            year=o["year"],
            occurred_at=occurred,
            notice_id=o["notice_id"],
            member={
                "name": o["name"],
                "id_number": o["id_number"],
                "phone": o["phone"],
                "union_card": o["union_card"],
                "town": o["town"],
                "employer": o["employer"],
                "has_basic_insurance": not o["no_insurance"],
                "insurance_scope": o["scope"],
            },
        )
        self.post(notice, o["url"])

    def post(self, notice: dict, url: str) -> None:
        try:
            status, answer = simulated_bank.send(notice, settings.HUZHU_BANK_SECRET, url=url)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise CommandError(f"{url}: {exc}", returncode=2) from None
        self.stdout.write(f"{status} {json.dumps(answer, ensure_ascii=False)}")
        if status != 200:
            raise CommandError(f"the notice was answered {status}", returncode=1)

    def deduction(self, o: dict, answer_file=simulated_bank.answer_deduction_file) -> None:
        failures = {}
        for rule in o["fail"]:
            card, sep, reason = rule.partition("=")
            if not sep or not card.strip():
                raise CommandError(_("--fail takes CARD=REASON."), returncode=2)
            try:
                failures[card.strip()] = simulated_bank.reason_key(reason)
            except KeyError:
                raise CommandError(
                    _("Unknown failure reason %(reason)s; use one of: %(choices)s.")
                    % {"reason": reason, "choices": ", ".join(simulated_bank.REASONS)},
                    returncode=2,
                ) from None
        if not 0 <= o["fail_rate"] <= 1:
            raise CommandError(_("--fail-rate must be between 0 and 1."), returncode=2)
        source = Path(o["request_file"])
        try:
            answer = answer_file(
                source.read_bytes(),
                failures=failures,
                fail_rate=o["fail_rate"],
                seed=o["seed"],
            )
            Path(o["out"]).write_bytes(answer)
        except OSError as exc:
            raise CommandError(os_error_line(exc), returncode=returncode(exc)) from None
        except simulated_bank.MalformedDeductionFile as exc:
            raise CommandError(
                _("%(path)s: %(error)s") % {"path": source, "error": exc}, returncode=2
            ) from None
        lines = answer.decode("gbk").splitlines()[1:]
        failed = sum(1 for line in lines if line.split("|")[5] != simulated_bank.DEBITED[0])
        self.stdout.write(
            _("%(count)s items answered, %(failed)s failed: %(path)s")
            % {"count": len(lines), "failed": failed, "path": o["out"]}
        )
