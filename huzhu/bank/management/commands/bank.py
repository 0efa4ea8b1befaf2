"""huzhu bank simulate-signing --url URL --year Y --name … --id-number … (SPEC §7a)

The simulated bank: sends the signed signing notice a real bank would send after a member
signs in its app, to a running huzhu (the demo, a test server). Prints the answer."""

import datetime
import json
import urllib.error

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from huzhu.bank import simulated_bank
from huzhu.dates import SCHEME_ZONE


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

    def handle(self, *args, verb, **o):
        now = datetime.datetime.now(SCHEME_ZONE)
        occurred = o["occurred_at"] or now.isoformat(timespec="seconds")
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
        try:
            status, answer = simulated_bank.send(notice, settings.HUZHU_BANK_SECRET, url=o["url"])
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise CommandError(f"{o['url']}: {exc}", returncode=2) from None
        self.stdout.write(f"{status} {json.dumps(answer, ensure_ascii=False)}")
        if status != 200:
            raise CommandError(f"the notice was answered {status}", returncode=1)
