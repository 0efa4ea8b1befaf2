"""Benchmark of 扣款反馈 (SPEC D8) at 100,000 enrollments: the console page, its workbook and
the failure SMS of a batch.

    .venv/bin/python benchmarks/deduction_feedback_bench.py          # SQLite and PostgreSQL
    .venv/bin/python benchmarks/deduction_feedback_bench.py --databases postgres --members 300

The data is that of enrollment_list_bench.py (the demo, then members and 2022 enrollments
set-based; 10 % failed), plus one settled batch holding a failed item per failed enrollment
(余额不足 or 卡号不存在, 1 to 3 attempts) and 1 % of the authorized members without a union
card. Pages are requested as 湖塘镇's admin through Django's test client, in process. The SMS
go to the in-memory OutboxSender. Not part of the test suite.
"""

import argparse
import json
import os
import random
import time

from enrollment_list_bench import YEAR, _add_members, _enroll_everyone, _time
from enrollment_list_bench import measure as list_measure

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_fbbench"
CODES = [("1001", "余额不足", 0.7), ("1004", "卡号不存在", 0.3)]


def _fail_some(rng: random.Random) -> int:
    """A settled batch with a failed item per failed enrollment; card-less authorized ones."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from huzhu.enrollment.models import Enrollment
    from huzhu.members.models import Member
    from huzhu.payments.models import DeductionBatch, DeductionItem

    failed = list(
        Enrollment.objects.filter(year=YEAR, state="failed").order_by("pk").values_list("pk")
    )
    with transaction.atomic():
        batch = DeductionBatch.objects.create(
            number=f"{YEAR}BENCH", year=YEAR, created_at=timezone.now(), state="settled"
        )
        items = []
        for seq, (pk,) in enumerate(failed, start=1):
            code, message, _share = rng.choices(CODES, [c[2] for c in CODES])[0]
            items.append(
                DeductionItem(
                    batch=batch,
                    enrollment_id=pk,
                    seq=seq,
                    amount=Decimal("30.00"),
                    outcome="failed",
                    bank_code=code,
                    bank_message=message,
                    attempt=rng.randint(1, 3),
                )
            )
        DeductionItem.objects.bulk_create(items, batch_size=1000)
        authorized = list(
            Enrollment.objects.filter(year=YEAR, state="authorized").values_list(
                "member_id", flat=True
            )
        )
        lacking = rng.sample(authorized, len(authorized) // 100)
        for start in range(0, len(lacking), 900):
            Member.objects.filter(pk__in=lacking[start : start + 900]).update(
                union_card_encrypted="", union_card_hash=None, union_card_masked=""
            )
    return len(items)


def run(members: int, requests: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from huzhu.accounts.models import User
    from huzhu.members.sms import OutboxSender
    from huzhu.payments.feedback import feedback_listing, notify_failures
    from huzhu.payments.feedback_export import feedback_workbook
    from huzhu.payments.models import DeductionBatch

    rng = random.Random(11)
    _add_members(members, rng)
    _enroll_everyone(rng)
    failures = _fail_some(rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    hutang = User.objects.get(username="hutang")
    listed = feedback_listing(user=hutang, year=YEAR)
    visible = listed.count()
    deep = listed.values_list("id", flat=True)[max(0, min(visible - 51, 40 * 50))]
    client = Client(SERVER_NAME="localhost")
    client.force_login(hutang)
    base = f"/console/deductions/feedback/?year={YEAR}"
    pages = {
        "first page": base,
        "deep page": f"{base}&after={deep}",
        "follow-up only": f"{base}&kind=follow_up",
        "no card only": f"{base}&kind=no_card",
    }
    figures = {name: _time(client, path, requests) for name, path in pages.items()}
    for page in figures.values():
        page.pop("sql")
        page.pop("rows")
    started = time.perf_counter()
    _content, rows = feedback_workbook(user=hutang, year=YEAR)
    workbook_seconds = time.perf_counter() - started
    OutboxSender.outbox.clear()
    started = time.perf_counter()
    notified = notify_failures(DeductionBatch.objects.get(number=f"{YEAR}BENCH"))
    sms_seconds = time.perf_counter() - started
    return {
        "vendor": connection.vendor,
        "failed_items": failures,
        "hutang_rows": visible,
        "pages": figures,
        "workbook": {"rows": rows, "seconds": round(workbook_seconds, 2)},
        "sms": {
            "sent": notified.sent,
            "no_phone": notified.no_phone,
            "seconds": round(sms_seconds, 2),
        },
    }


def measure(database: str, members: int, args) -> dict:
    return list_measure(
        database,
        members,
        args,
        script=__file__,
        prefix="huzhu-fbbench-",
        extra_env={"HUZHU_SMS_SENDER": "huzhu.members.sms.OutboxSender"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("run", help="(internal) load the data and time the work")
    inner.add_argument("--members", type=int, required=True)
    inner.add_argument("--requests", type=int, default=20)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.members, args.requests), ensure_ascii=False))
        return
    for database in args.databases:
        print(json.dumps(measure(database, args.members, args), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
