"""Benchmark of the collective deduction (SPEC D3–D5): N enrollments ready to be debited,
a batch built with its bank file (`create_batch`), the simulated bank's answer with about
5 % failures, and that answer applied (`apply_result`). Run on demand:

    .venv/bin/python benchmarks/deduction_bench.py [--databases postgres sqlite]
        [--postgres-size 1000000] [--sqlite-size 100000]
        [--pg-url postgres://postgres@127.0.0.1:5432/huzhu_dbench] [--keep DIR | --reuse DIR]

Each database gets a fresh data folder (PostgreSQL: the database is dropped and created
again). Seeding, building, the bank's answer and applying each run in their own process, so
each step's peak memory (ru_maxrss) is its own. Seeding is set-based and not timed as part
of the deduction: members in chunks (COPY on PostgreSQL, executemany on SQLite, the card and
ID numbers really encrypted), then every member's enrollment and active online
authorization with one INSERT … SELECT each. The steps' phases are timed by wrapping the
services' functions. Not part of the test suite.

Seeding a million takes minutes. `--keep DIR` keeps what the apply step starts from: DIR/<database>
holds the data folder, and PostgreSQL's database is copied to `<name>_kept` (SQLite's file to
`huzhu.sqlite3.kept`) after the bank's answer. `--reuse DIR` then restores that copy and runs
only the apply step, so a change to `apply_result` is measured again in a minute.
"""

import argparse
import datetime
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time

from common import BIN, ROOT, fresh_environment, recreate_pg
from roster_import_bench import GIVEN, SURNAMES, Clock, id_number

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_dbench"
YEAR = 2022
CHUNK = 50_000
FAIL_EVERY = 20  # one item in 20 fails: 5 %


def _peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def seed(size: int) -> dict:
    """`size` members with a union card, each enrolled for YEAR (authorized) with an active
    online authorization."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from huzhu.enrollment.models import Authorization, Enrollment
    from huzhu.members import crypto
    from huzhu.members.models import Member
    from huzhu.members.rules import mask_card, mask_id_number
    from huzhu.org.models import UnitKind
    from huzhu.org.services import create_unit, district
    from huzhu.rosters.importer import MEMBER_COLUMNS, _insert

    started = time.perf_counter()
    root = district()
    town = create_unit(actor=None, name="湖塘镇", kind=UnitKind.ORGANIZING, parent=root)
    union = create_unit(actor=None, name="湖塘镇甲公司工会", kind=UnitKind.GRASSROOTS, parent=town)
    now = timezone.now()
    adapted_now = connection.ops.adapt_datetimefield_value(now)
    fields = MEMBER_COLUMNS
    with transaction.atomic():
        for start in range(1, size + 1, CHUNK):
            numbers = range(start, min(start + CHUNK, size + 1))
            ids = [id_number(n) for n in numbers]
            cards = [f"62316688{n:011d}" for n in numbers]
            id_tokens = crypto.encrypt_many(ids)
            card_tokens = crypto.encrypt_many(cards)
            rows = [
                (
                    SURNAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20],
                    id_token,
                    f"i{n:063d}",
                    mask_id_number(id_no),
                    "",
                    "",
                    "",
                    card_token,
                    f"c{n:063d}",
                    mask_card(card),
                    union.pk,
                    union.path,
                    "湖塘镇甲公司",
                    True,
                    "jiangsu",
                    adapted_now,
                    adapted_now,
                )
                for n, id_no, card, id_token, card_token in zip(
                    numbers, ids, cards, id_tokens, card_tokens, strict=True
                )
            ]
            _insert(Member, fields, rows)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(Enrollment._meta.db_table)} "  # noqa: S608
                "(member_id, year, organizing_unit_id, grassroots_union_id, employer_name, "
                "unit_path, state, insurance_scope, created_at, updated_at) "
                "SELECT id, %s, %s, %s, employer_name, unit_path, 'authorized', "
                f"insurance_scope, %s, %s FROM {quote(Member._meta.db_table)} ORDER BY id",
                [YEAR, town.pk, union.pk, adapted_now, adapted_now],
            )
            cursor.execute(
                f"INSERT INTO {quote(Authorization._meta.db_table)} "  # noqa: S608
                "(enrollment_id, channel, signed_on, source, created_at, active) "
                "SELECT id, 'online', %s, 'bank_notice', %s, %s "
                f"FROM {quote(Enrollment._meta.db_table)} ORDER BY id",
                [
                    connection.ops.adapt_datefield_value(datetime.date(2021, 11, 1)),
                    adapted_now,
                    True,
                ],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "step": "seed",
        "enrollments": Enrollment.objects.count(),
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": _peak_mib(),
    }


def create() -> dict:
    import django

    django.setup()
    from huzhu.payments import services

    clock = Clock()
    clock.wrap(services, "_insert_items", "items (INSERT … SELECT)")
    clock.wrap(services, "_write_request_file", "request file (read, decrypt, write)")
    clock.wrap(services, "store_generated", "file into the store")
    started = time.perf_counter()
    batch = services.create_batch(year=YEAR, actor=None)
    seconds = time.perf_counter() - started
    assert batch is not None
    return {
        "step": "create_batch",
        "batch": batch.number,
        "items": batch.item_count,
        "total": str(batch.total),
        "seconds": round(seconds, 2),
        "phases": {name: round(value, 2) for name, value in clock.seconds.items()},
        "file_mib": round(batch.request_file.size / 2**20, 1),
        "peak_rss_mib": _peak_mib(),
    }


def bank(out: str) -> dict:
    """The simulated bank's answer: every line debited, except one in FAIL_EVERY (余额不足)."""
    import django

    django.setup()
    from huzhu.files.services import open_stored
    from huzhu.payments.bankfile import ENCODING
    from huzhu.payments.models import DeductionBatch

    started = time.perf_counter()
    batch = DeductionBatch.objects.get()
    assert batch.request_file is not None
    failed = 0
    total_fen = 0
    with open_stored(batch.request_file) as request, open(out + ".body", "wb") as body:
        request.readline()
        lines = []
        for n, raw in enumerate(request):
            _d, seq, item, card, _name, _id, amount = raw.decode(ENCODING).rstrip("\n").split("|")
            code, message = (
                ("1001", "余额不足") if n % FAIL_EVERY == FAIL_EVERY - 1 else ("0000", "成功")
            )
            failed += code != "0000"
            total_fen += int(amount.replace(".", ""))
            lines.append(f"D|{seq}|{item}|{card}|{amount}|{code}|{message}\n")
            if len(lines) >= CHUNK:
                body.write("".join(lines).encode(ENCODING))
                lines = []
        body.write("".join(lines).encode(ENCODING))
        count = n + 1
    with open(out, "wb") as result, open(out + ".body", "rb") as body:
        result.write(
            f"H|{batch.number}|{count}|{total_fen // 100}.{total_fen % 100:02d}\n".encode()
        )
        shutil.copyfileobj(body, result)
    os.unlink(out + ".body")
    return {
        "step": "bank answer (not the system's time)",
        "lines": count,
        "failed": failed,
        "seconds": round(time.perf_counter() - started, 2),
        "file_mib": round(os.path.getsize(out) / 2**20, 1),
        "peak_rss_mib": _peak_mib(),
    }


def apply(path: str) -> dict:
    import django

    django.setup()
    from huzhu.payments import bankfile, services

    clock = Clock()
    clock.wrap(bankfile, "parse_result", "parse (compact arrays)")
    clock.wrap(services, "_stage", "staging table (COPY / executemany)")
    clock.wrap(services, "_check", "check against the batch (incl. staging)")
    clock.wrap(services, "_lock_enrollments", "lock enrollments")
    clock.wrap(services, "_settle_items", "items' outcomes (UPDATE … FROM)")
    clock.wrap(services, "_refund_unpayable_debits", "refunds (INSERT … SELECT)")
    clock.wrap(services, "mark_paid_many", "mark_paid_many (changes, audit, UPDATE)")
    clock.wrap(services, "mark_failed_many", "mark_failed_many")
    clock.wrap(services, "store_generated", "result file into the store")
    from django.db import connection

    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            if took >= 0.5:
                statements.append((round(took, 2), " ".join(sql.split())[:110]))

    with open(path, "rb") as handle:
        content = handle.read()

    def wal_lsn() -> int | None:
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn() - '0/0'")
            return int(cursor.fetchone()[0])

    wal_before = wal_lsn()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        applied = services.apply_result(content=content, actor=None)
    seconds = time.perf_counter() - started
    wal_after = wal_lsn()
    again_started = time.perf_counter()
    again = services.apply_result(content=content, actor=None)
    return {
        "step": "apply_result",
        "debited": applied.debited,
        "failed": applied.failed,
        "seconds": round(seconds, 2),
        "phases": {name: round(value, 2) for name, value in clock.seconds.items()},
        "statements_of_half_a_second_or_more": statements,
        "wal_mib": None
        if wal_before is None or wal_after is None
        else round((wal_after - wal_before) / 2**20),
        "same_file_again_seconds": round(time.perf_counter() - again_started, 2),
        "again_already": again.already,
        "peak_rss_mib": _peak_mib(),
    }


def _copy_pg(url: str, source: str, target: str) -> None:
    """Database `target` made anew as a copy of `source` (both on `url`'s server)."""
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def _keep(database: str, data_dir: pathlib.Path, url: str) -> None:
    """What the apply step starts from, kept for `--reuse`."""
    if database == "postgres":
        name = url.rsplit("/", 1)[1]
        _copy_pg(url, name, f"{name}_kept")
    else:
        shutil.copyfile(data_dir / "huzhu.sqlite3", data_dir / "huzhu.sqlite3.kept")


def _restore(database: str, data_dir: pathlib.Path, url: str) -> None:
    if database == "postgres":
        name = url.rsplit("/", 1)[1]
        _copy_pg(url, f"{name}_kept", name)
    else:
        shutil.copyfile(data_dir / "huzhu.sqlite3.kept", data_dir / "huzhu.sqlite3")


def measure(database: str, size: int, args) -> list[dict]:
    kept = args.keep or args.reuse
    if kept:
        data_dir = pathlib.Path(kept) / database
        data_dir.mkdir(parents=True, exist_ok=True)
        _unused, env = fresh_environment("huzhu-dbench-")
        shutil.rmtree(_unused)
        env["HUZHU_DATA_DIR"] = str(data_dir)
    else:
        data_dir, env = fresh_environment("huzhu-dbench-")
    if database == "postgres":
        env["DATABASE_URL"] = args.pg_url
    result_path = str(data_dir / "result.txt")
    steps = [["seed", str(size)], ["create"], ["bank", result_path], ["apply", result_path]]
    try:
        if args.reuse:
            _restore(database, data_dir, args.pg_url)
            steps = steps[-1:]
        else:
            if database == "postgres":
                recreate_pg(args.pg_url)
            huzhu = str(BIN / "huzhu")
            subprocess.run([huzhu, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        figures = []
        for step in steps:
            if step[0] == "apply" and args.keep:
                _keep(database, data_dir, args.pg_url)
            load = os.getloadavg()[0]
            out = subprocess.run(
                [sys.executable, __file__, *step],
                env=env,
                check=True,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            figure = json.loads(out.strip().splitlines()[-1])
            figure["database"], figure["size"], figure["load_before"] = database, size, load
            print(json.dumps(figure, ensure_ascii=False), flush=True)
            figures.append(figure)
        return figures
    finally:
        if not kept:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in {"seed", "create", "bank", "apply"}:
        step, rest = sys.argv[1], sys.argv[2:]
        if step == "seed":
            figure = seed(int(rest[0]))
        elif step == "create":
            figure = create()
        elif step == "bank":
            figure = bank(rest[0])
        else:
            figure = apply(rest[0])
        print(json.dumps(figure, ensure_ascii=False))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--postgres-size", type=int, default=1_000_000)
    parser.add_argument("--sqlite-size", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--keep", metavar="DIR", help="keep the seeded state for --reuse")
    again.add_argument("--reuse", metavar="DIR", help="only apply again, from --keep's state")
    args = parser.parse_args()
    for database in args.databases:
        size = args.postgres_size if database == "postgres" else args.sqlite_size
        measure(database, size, args)


if __name__ == "__main__":
    main()
