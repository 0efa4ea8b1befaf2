"""Benchmark of the claim pages at 200,000 claims: the statistics page, its .xlsx, and any
other console page named on the command line (the review queue, once it exists).

    .venv/bin/python benchmarks/claims_bench.py                       # PostgreSQL, 200,000
    .venv/bin/python benchmarks/claims_bench.py --claims 20000 --requests 10 \\
        --urls console:claim_statistics console:claims /console/claims/?state=submitted

As the enrollment list benchmark (its `measure()` and `_time()`): a fresh data folder and the
database `huzhu_clbench_<claims>` dropped and created again, `huzhu demo`, then, in the
run's own process, members added set-based (load_bench.add_members) — one for every four
claims — each with a paid 2022 enrollment (one INSERT … SELECT), and the claims themselves in
one INSERT … SELECT over the enrollments and generate_series: 2022, every benefit and state,
submitted over the year, decided a few days to weeks later for the decided ones. The fund
ledger gets the year's payouts. The database is analysed, then each page is requested as
the district admin (`district`, second factor passed) through Django's test client, in
process; the median and p95 of `--requests` requests and the number of queries are
printed. A URL name that does not resolve in this tree is reported and skipped. PostgreSQL
only (generate_series); not part of the test suite.
"""

import argparse
import json
import os
import random
import sys
import time

from enrollment_list_bench import _time, measure
from load_bench import add_members

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_clbench"
YEAR = 2022
CLAIMS_PER_MEMBER = 4
DEFAULT_URLS = ["console:claim_statistics", "console:claim_statistics_xlsx", "console:claims"]
URLS_ENV = "HUZHU_BENCH_CLAIM_URLS"

# The claims' mix, picked by a hash of (enrollment, n) in SQL.
BENEFITS = ["hospitalization"] * 6 + ["critical_illness", "work_injury"] * 2
STATES = (
    ["paid"] * 8
    + ["approved"] * 3
    + ["rejected"] * 3
    + ["submitted", "in_review", "returned", "needs_settlement", "awaiting_second", "recovered"]
)


def _seed(claims: int, rng: random.Random) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from huzhu.claims.models import Claim
    from huzhu.enrollment.models import Enrollment
    from huzhu.ledger.models import EntryKind, LedgerEntry
    from huzhu.members.models import Member
    from huzhu.org.models import Unit, UnitKind

    grassroots = list(Unit.objects.filter(kind=UnitKind.GRASSROOTS).order_by("path"))
    members = Member.objects.count() + -(-claims // CLAIMS_PER_MEMBER)
    added = add_members(members, rng, lambda: rng.choice(grassroots))
    quote = connection.ops.quote_name
    enrollment = quote(Enrollment._meta.db_table)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {enrollment} "  # noqa: S608
            "(member_id, year, organizing_unit_id, grassroots_union_id, employer_name, "
            "unit_path, state, insurance_scope, created_at, updated_at) "
            "SELECT m.id, %s, u.parent_id, u.id, m.employer_name, m.unit_path, 'paid', "
            f"m.insurance_scope, %s, %s FROM {quote(Member._meta.db_table)} m "
            f"JOIN {quote(Unit._meta.db_table)} u ON u.id = m.unit_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {enrollment} e "
            "WHERE e.member_id = m.id AND e.year = %s) ORDER BY m.id",
            [YEAR, now, now, YEAR],
        )
        paid = Enrollment.objects.filter(year=YEAR, state="paid").count()
        per = -(-claims // paid)
        granted = ("approved", "paid", "recovered", "awaiting_second")
        decided = ("approved", "paid", "recovered", "rejected")
        cursor.execute(
            f"INSERT INTO {quote(Claim._meta.db_table)} "  # noqa: S608
            "(member_id, enrollment_id, year, benefit, state, facts, event_on, unit_path, "
            "organizing_unit_id, estimate, amount, submitted_at, decided_at, paid_at, "
            "updated_at) "
            "SELECT member_id, id, %(year)s, benefit, state, "
            "jsonb_build_object('year', %(year)s, 'benefit', benefit), "
            "(submitted_at AT TIME ZONE 'Asia/Shanghai')::date - 3, unit_path, "
            "organizing_unit_id, amount, "
            "CASE WHEN state = ANY(%(granted)s) THEN amount END, submitted_at, "
            "CASE WHEN state = ANY(%(decided)s) THEN submitted_at + (h %% 41) * "
            "interval '1 day' + (h %% 23) * interval '1 hour' END, "
            "CASE WHEN state IN ('paid', 'recovered') THEN submitted_at + interval '50 days' END, "
            "%(now)s FROM ("
            "  SELECT e.id, e.member_id, e.unit_path, e.organizing_unit_id, h, "
            "  (%(benefits)s::text[])[1 + h %% %(nb)s] AS benefit, "
            "  (%(states)s::text[])[1 + (h / 7) %% %(ns)s] AS state, "
            "  500 * (1 + (h / 3) %% 10) AS amount, "
            "  timestamptz '2022-01-03 01:00+00' + (h %% 330) * interval '1 day' "
            "    + (h %% 600) * interval '1 minute' AS submitted_at "
            "  FROM (SELECT e.id, e.member_id, e.unit_path, e.organizing_unit_id, "
            "    abs(hashtext(e.id::text || '/' || g::text)) AS h "
            f"    FROM {enrollment} e CROSS JOIN generate_series(1, %(per)s) g "
            "    WHERE e.year = %(year)s AND e.state = 'paid' ORDER BY e.id, g "
            "    LIMIT %(claims)s) e"
            ") seeded",
            {
                "year": YEAR,
                "granted": list(granted),
                "decided": list(decided),
                "benefits": BENEFITS,
                "nb": len(BENEFITS),
                "states": STATES,
                "ns": len(STATES),
                "per": per,
                "claims": claims,
                "now": now,
            },
        )
        paid_out = Claim.objects.filter(year=YEAR, state__in=("paid", "recovered")).values_list(
            "amount", flat=True
        )
        LedgerEntry.objects.create(
            kind=EntryKind.PAYOUT,
            amount=-sum(paid_out),
            count=len(paid_out),
            year=YEAR,
            booked_on=now.date(),
            recorded_at=now,
            reference="BENCH",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"added_members": added, "claims": Claim.objects.filter(year=YEAR).count()}


def _targets(names: list[str]) -> dict[str, str | None]:
    """Each name (or path) with the address to request, None when it does not resolve."""
    from django.urls import NoReverseMatch, reverse

    found: dict[str, str | None] = {}
    for name in names:
        if name.startswith("/"):
            found[name] = name
            continue
        try:
            found[name] = f"{reverse(name)}?year={YEAR}"
        except NoReverseMatch:
            found[name] = None
    return found


def run(claims: int, requests: int) -> dict:
    """Inside Django (a subprocess with the run's environment)."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from huzhu.accounts.models import User

    started = time.perf_counter()
    seeded = _seed(claims, random.Random(12))
    load_seconds = time.perf_counter() - started
    district = User.objects.get(username="district")
    client = Client(SERVER_NAME="localhost")
    client.force_login(district)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=district).persistent_id
    session.save()
    names = os.environ.get(URLS_ENV, ",".join(DEFAULT_URLS)).split(",")
    pages: dict[str, dict] = {}
    for name, path in _targets(names).items():
        pages[name] = {"missing": True} if path is None else _time(client, path, requests)
    return {
        "vendor": connection.vendor,
        **seeded,
        "load_seconds": round(load_seconds, 1),
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("run", help="(internal) seed the claims and time the pages")
    # measure() passes the size as --members: here it is the number of claims.
    inner.add_argument("--members", dest="claims", type=int, required=True)
    inner.add_argument("--requests", type=int, default=20)
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--urls", nargs="+", default=DEFAULT_URLS, help="URL names or paths")
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--sql", action="store_true", help="print each page's SQL")
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.claims, args.requests), ensure_ascii=False, default=str))
        return
    result = measure(
        "postgres",
        args.claims,
        args,
        script=__file__,
        prefix="huzhu-clbench-",
        extra_env={URLS_ENV: ",".join(args.urls)},
    )
    print(
        f"{result['vendor']}: {result['claims']:,} claims of {YEAR} "
        f"({result['added_members']:,} members added), loaded in {result['load_seconds']} s",
        flush=True,
    )
    for name, figures in result["pages"].items():
        if figures.get("missing"):
            print(f"  {name:<34} not in this tree: skipped")
            continue
        print(
            f"  {name:<34} median {figures['median_ms']:7.1f} ms"
            f"  p95 {figures['p95_ms']:7.1f} ms  {figures['queries']} queries",
            flush=True,
        )
        if args.sql:
            for sql in figures["sql"]:
                print(f"      {sql}")


if __name__ == "__main__":
    sys.exit(main())
