"""Benchmark of the console's enrollment list (`/console/enrollments/`) at 100,000 enrollments.

    .venv/bin/python benchmarks/enrollment_list_bench.py        # SQLite and PostgreSQL
    .venv/bin/python benchmarks/enrollment_list_bench.py --databases postgres --requests 20

For each database and size it builds a fresh data folder (and, for PostgreSQL, the database
`huzhu_enbench_<size>`, dropped and created again), loads the demo data (`huzhu demo`), adds
members with bulk_create up to the size asked for (most of them under 湖塘镇), gives every
member a 2022 enrollment with its authorization and state changes (bulk_create, no service
call per row), analyses the database, and then requests the list pages as 湖塘镇's
organizing-unit admin (`hutang`) through Django's test client, in process: no server, no
network, one request at a time. It prints the median and p95 of `--requests` requests per
page and the number of queries each request made. Not part of the test suite.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import BIN, ROOT, fresh_environment, recreate_pg
from load_bench import add_members

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_enbench"
YEAR = 2022
# State mix of the generated enrollments: (state, share).
STATES = [("paid", 0.6), ("authorized", 0.25), ("failed", 0.1), ("revoked", 0.05)]
CHANNELS = ["paper", "online", "renewal"]


def _add_members(total: int, rng: random.Random) -> int:
    """Members up to `total`, set-based as load_bench.py adds them; 95 % under 湖塘镇."""
    from huzhu.org.models import Unit, UnitKind

    grassroots = list(Unit.objects.filter(kind=UnitKind.GRASSROOTS).order_by("path"))
    hutang = Unit.objects.get(name="湖塘镇")
    inside = [u for u in grassroots if u.parent_id == hutang.pk]
    outside = [u for u in grassroots if u.parent_id != hutang.pk]
    return add_members(total, rng, lambda: rng.choice(inside if rng.random() < 0.95 else outside))


def _enroll_everyone(rng: random.Random) -> int:
    """A 2022 enrollment per member, with one authorization and its state changes."""
    import datetime

    from django.db import transaction

    from huzhu.enrollment.models import Authorization, Enrollment, EnrollmentChange
    from huzhu.members.models import Member
    from huzhu.org.models import Unit

    organizing: dict[int, Unit | None] = {}
    members = list(
        Member.objects.exclude(enrollments__year=YEAR)
        .select_related("unit")
        .order_by("id")
        .only("id", "unit", "employer_name")
    )
    weights = [w for _, w in STATES]
    names = [s for s, _ in STATES]
    count = 0
    for start in range(0, len(members), 10_000):
        chunk = members[start : start + 10_000]
        enrollments = []
        for member in chunk:
            unit = member.unit
            if unit.pk not in organizing:
                organizing[unit.pk] = unit.organizing_unit()
            enrollments.append(
                Enrollment(
                    member_id=member.pk,
                    year=YEAR,
                    organizing_unit=organizing[unit.pk],
                    grassroots_union=unit,
                    employer_name=member.employer_name,
                    unit_path=unit.path,
                    state=rng.choices(names, weights)[0],
                    insurance_scope="jiangsu",
                )
            )
        with transaction.atomic():
            Enrollment.objects.bulk_create(enrollments, batch_size=1000)
            authorizations = []
            changes = []
            for enrollment in enrollments:
                revoked = enrollment.state == "revoked"
                authorizations.append(
                    Authorization(
                        enrollment_id=enrollment.pk,
                        channel=rng.choice(CHANNELS),
                        signed_on=datetime.date(2021, 11, 1)
                        + datetime.timedelta(days=rng.randrange(30)),
                        source="console",
                        active=not revoked,
                        ended_on=datetime.date(2022, 1, 15) if revoked else None,
                    )
                )
                changes.append(
                    EnrollmentChange(
                        enrollment_id=enrollment.pk,
                        to_state="authorized",
                        actor_label="system",
                    )
                )
                if enrollment.state != "authorized":
                    changes.append(
                        EnrollmentChange(
                            enrollment_id=enrollment.pk,
                            from_state="authorized",
                            to_state=enrollment.state,
                            actor_label="system",
                        )
                    )
            Authorization.objects.bulk_create(authorizations, batch_size=1000)
            EnrollmentChange.objects.bulk_create(changes, batch_size=1000)
        count += len(enrollments)
    return count


def _time(client, path: str, requests: int) -> dict:
    from django.db import connection

    client.get(path)  # warm up
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    rows = response.content.decode(errors="replace").count("<tr><td><a ")
    elapsed: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        elapsed.append((time.perf_counter() - started) * 1000)
    elapsed.sort()
    return {
        "rows": rows,
        "queries": len(queries),
        "median_ms": round(statistics.median(elapsed), 1),
        "p95_ms": round(elapsed[min(len(elapsed) - 1, int(0.95 * len(elapsed)))], 1),
        "sql": queries,
    }


def run(members: int, requests: int) -> dict:
    """Inside Django (a subprocess with the run's environment)."""
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from huzhu.accounts.models import User
    from huzhu.enrollment.models import Enrollment
    from huzhu.enrollment.selectors import enrollments_for

    rng = random.Random(11)
    started = time.perf_counter()
    added = _add_members(members, rng)
    enrolled = _enroll_everyone(rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_seconds = time.perf_counter() - started

    hutang = User.objects.get(username="hutang")
    listing = enrollments_for(user=hutang, year=YEAR)
    visible = listing.count()
    # The cursor of page 401 (after 400 pages of 50), or of the last full page when the
    # list is shorter.
    deep_index = min(400 * 50, max(0, visible - 51))
    deep_after = listing.values_list("id", flat=True)[deep_index]
    # The grassroots union of 湖塘镇 holding the most enrollments.
    union_id = (
        Enrollment.objects.filter(year=YEAR, organizing_unit__name="湖塘镇")
        .values("grassroots_union")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("grassroots_union", flat=True)[0]
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(hutang)
    base = f"/console/enrollments/?year={YEAR}"
    pages = {
        "first page": base,
        f"deep page (after row {deep_index:,})": f"{base}&after={deep_after}",
        "state filter (failed)": f"{base}&state=failed",
        "channel filter (renewal)": f"{base}&channel=renewal",
        "unit filter (one union)": f"{base}&unit={union_id}",
        # The worst case of a filter: nothing matches, the whole scope is read.
        "state filter, no match (lapsed)": f"{base}&state=lapsed",
        "state and channel filter (revoked, renewal)": f"{base}&state=revoked&channel=renewal",
    }
    figures = {name: _time(client, path, requests) for name, path in pages.items()}
    return {
        "vendor": connection.vendor,
        "enrollments": Enrollment.objects.filter(year=YEAR).count(),
        "hutang_enrollments": visible,
        "added_members": added,
        "enrolled": enrolled,
        "load_seconds": round(load_seconds, 1),
        "pages": figures,
    }


def measure(
    database: str,
    members: int,
    args,
    *,
    script: str = __file__,
    prefix: str = "huzhu-enbench-",
    extra_env: dict[str, str] | None = None,
) -> dict:
    """Migrate and load the demo into a fresh data folder, then run `script run` there (its
    own process: its figures are its own) and return the JSON line it prints last."""
    data_dir, env = fresh_environment(prefix)
    env.update(extra_env or {})
    try:
        if database == "postgres":
            url = f"{args.pg_url}_{members}"
            recreate_pg(url)
            env["DATABASE_URL"] = url
        huzhu = str(BIN / "huzhu")
        subprocess.run([huzhu, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run([huzhu, "demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        command = [sys.executable, script, "run", "--members", str(members)]
        command += ["--requests", str(args.requests)]
        out = subprocess.run(
            command, env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def table(runs: list[dict]) -> str:
    head = "| page | " + " | ".join(f"{r['vendor']} {r['enrollments']:,}" for r in runs) + " |"
    lines = [head, "|---" * (len(runs) + 1) + "|"]
    names = list(runs[0]["pages"])
    for index, name in enumerate(names):
        cells = []
        for run_ in runs:
            figures = list(run_["pages"].values())[index]
            cells.append(
                f"{figures['median_ms']:.0f} ms · p95 {figures['p95_ms']:.0f} ms · "
                f"{figures['queries']} queries"
            )
        lines.append(f"| {name.split(' (after')[0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("run", help="(internal) load the data and time the pages")
    inner.add_argument("--members", type=int, required=True)
    inner.add_argument("--requests", type=int, default=30)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--members", type=int, nargs="+", default=[300, 100_000])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--sql", action="store_true", help="print each page's SQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.members, args.requests), ensure_ascii=False))
        return
    runs = []
    for database in args.databases:
        for members in args.members:
            result = measure(database, members, args)
            print(
                f"{result['vendor']}: {result['enrollments']:,} enrollments "
                f"({result['hutang_enrollments']:,} under 湖塘镇), loaded in "
                f"{result['load_seconds']} s",
                flush=True,
            )
            for name, figures in result["pages"].items():
                print(
                    f"  {name:<34} {figures['rows']:>3} rows  median {figures['median_ms']:7.1f} ms"
                    f"  p95 {figures['p95_ms']:7.1f} ms  {figures['queries']} queries",
                    flush=True,
                )
                if args.sql:
                    for sql in figures["sql"]:
                        print(f"      {sql}")
            runs.append(result)
    print()
    print(table(runs))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
