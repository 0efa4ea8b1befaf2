"""Load benchmark of the pages people open most, under gunicorn, beside a bare Django view.

    .venv/bin/python benchmarks/load_bench.py      # SQLite and PostgreSQL, 300 and 100,000 members
    .venv/bin/python benchmarks/load_bench.py --databases sqlite --members 300 --duration 5

For each database and member count it builds a fresh data folder (and, for PostgreSQL, the
database `huzhu_perf`, dropped and created again), loads the demo data (`huzhu demo`: the
29 organizing units of 附件1, their grassroots unions, 300 members), adds members set-based
with bulk_create up to the count asked for, starts gunicorn with 2 sync workers and puts
each page under load from `--clients` concurrent connections for `--duration` seconds.

The load comes from a small asyncio client in this process (one connection per request, as
gunicorn's sync workers close every connection): it competes with the server for the
machine's two cores, for the bare view as much as for the pages, so compare the figures of
one run with each other, not with another run's. Not part of the test suite.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import BIN, ROOT, fresh_environment, recreate_pg

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_perf"
CSRF = secrets.token_hex(16)  # 32 characters: Django accepts the cookie's secret as the token

# --- one page under load -------------------------------------------------------------


@dataclass
class Page:
    name: str
    method: str
    path: str
    cookie: str = ""
    body: bytes = b""
    content_type: str = ""

    def request(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Connection: close"]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        if self.body:
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def _client(host, port, request, deadline, latencies, failures):
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            data = await reader.read()
            writer.close()
        except OSError:
            failures.append(1)
            continue
        latencies.append(time.perf_counter() - start)
        if data[9:12] != b"200":
            failures.append(1)


async def _load(host, port, page: Page, clients: int, seconds: float) -> Result:
    request = page.request(f"{host}:{port}")
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(host, port, request, deadline, latencies, failures) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def quantile(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
        )

    return Result(len(latencies), len(failures), elapsed, quantile(0.5), quantile(0.99))


def measure(port: int, page: Page, clients: int, seconds: float) -> Result:
    asyncio.run(_load("127.0.0.1", port, page, clients, min(2.0, seconds / 4)))  # warm up
    return asyncio.run(_load("127.0.0.1", port, page, clients, seconds))


# --- preparing a database ------------------------------------------------------------


def add_members(total: int, rng: random.Random, pick_unit: Callable[[], Any]) -> int:
    """Inside Django: members up to `total`, written set-based (bulk_create in batches) with
    their numbers encrypted, hashed and masked as the services would; `pick_unit` chooses
    each member's grassroots union. The kept per-unit counts are set from the members
    afterwards, since these rows bypass the services. Returns how many were added."""
    from django.db import transaction

    from huzhu.members import crypto
    from huzhu.members.models import Member
    from huzhu.members.rules import id_check_char, mask_card, mask_id_number, mask_phone
    from huzhu.members.services import repair_member_counts

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾蒋蔡"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玲兰志鹏飞晨宇浩然欣怡"
    to_add = max(0, total - Member.objects.count())
    batch: list[Member] = []
    for index in range(to_add):
        unit = pick_unit()
        first17 = f"3204121970{index:07d}"
        id_number = first17 + id_check_char(first17)
        phone = f"138{index:08d}"
        card = f"62316690{index:011d}"
        batch.append(
            Member(
                name=rng.choice(surnames) + "".join(rng.choices(given, k=rng.randint(1, 2))),
                id_number_encrypted=crypto.encrypt(id_number),
                id_number_hash=crypto.lookup_hash("id", id_number),
                id_number_masked=mask_id_number(id_number),
                phone_encrypted=crypto.encrypt(phone),
                phone_hash=crypto.lookup_hash("phone", phone),
                phone_masked=mask_phone(phone),
                union_card_encrypted=crypto.encrypt(card),
                union_card_hash=crypto.lookup_hash("card", card),
                union_card_masked=mask_card(card),
                unit=unit,
                unit_path=unit.path,
                employer_name=unit.name.removesuffix("工会"),
            )
        )
        if len(batch) == 10_000 or index == to_add - 1:
            with transaction.atomic():
                Member.objects.bulk_create(batch, batch_size=500)
            batch = []
    repair_member_counts()
    return to_add


def prepare(members: int) -> dict:
    """Inside Django (a subprocess with the run's environment): add members up to
    `members`, and return the cookies and addresses the pages need."""
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.models import F
    from django.test import Client

    from huzhu.accounts.models import User
    from huzhu.members.models import Member
    from huzhu.org.models import Unit, UnitKind
    from huzhu.org.paths import Bytewise
    from huzhu.portal.views import SESSION_KEY

    rng = random.Random(7)
    grassroots = list(Unit.objects.filter(kind=UnitKind.GRASSROOTS).order_by("path"))
    hutang = Unit.objects.get(name="湖塘镇")
    # As the demo: most members in 湖塘镇, so its admin's pages hold the most.
    weighted = [u for u in grassroots if u.parent_id == hutang.pk] * 8 + grassroots
    started = time.perf_counter()
    to_add = add_members(members, rng, lambda: rng.choice(weighted))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_seconds = time.perf_counter() - started

    staff = Client()
    staff.force_login(User.objects.get(username="hutang"))
    session = SessionStore()
    member = Member.objects.filter(unit__parent=hutang).order_by("id").first()
    session[SESSION_KEY] = [member.pk]
    session.create()
    in_scope = Member.objects.filter(unit_path__startswith=hutang.path).order_by(
        Bytewise(F("unit_path")), "name", "id"
    )
    scope_count = in_scope.count()
    # The page after 400 pages of 50 where the scope holds that many; otherwise the last
    # full page.
    deep = in_scope.values_list("id", flat=True)[min(400 * 50, max(0, scope_count - 51))]
    return {
        "members": Member.objects.count(),
        "hutang_members": scope_count,
        "added": to_add,
        "load_seconds": round(load_seconds, 1),
        "staff_cookie": f"sessionid={staff.cookies['sessionid'].value}",
        "member_cookie": f"sessionid={session.session_key}",
        "deep_after": deep,
    }


def _pages(prepared: dict) -> list[Page]:
    form = "application/x-www-form-urlencoded"
    calc_form = urlencode(
        {
            "csrfmiddlewaretoken": CSRF,
            "year": "2022",
            "benefit": "hospitalization",
            "stay-TOTAL_FORMS": "1",
            "stay-INITIAL_FORMS": "0",
            "stay-MIN_NUM_FORMS": "1",
            "stay-MAX_NUM_FORMS": "20",
            "stay-0-cause": "illness",
            "stay-0-insurance_scope": "jiangsu",
            "stay-0-liability_percent": "100",
            "stay-0-admitted_on": "2022-03-01",
            "stay-0-settled_self_pay": "12000",
        }
    ).encode()
    case = json.dumps(
        {
            "year": 2022,
            "benefit": "hospitalization",
            "already_paid": "500",
            "episodes": [{"admitted_on": "2022-03-01", "settled_self_pay": "12000"}],
        }
    ).encode()
    staff, member = prepared["staff_cookie"], prepared["member_cookie"]
    return [
        Page("bare Django view", "GET", "/bench/bare/"),
        Page("/m/calc/ GET", "GET", "/m/calc/"),
        Page("/m/calc/ POST", "POST", "/m/calc/", f"csrftoken={CSRF}", calc_form, form),
        Page("/m/ signed in", "GET", "/m/", member),
        Page("POST /api/v1/calculator", "POST", "/api/v1/calculator", "", case, "application/json"),
        Page("console dashboard", "GET", "/console/", staff),
        Page("member list, first page", "GET", "/console/members/", staff),
        Page(
            "member list, deep page",
            "GET",
            f"/console/members/?after={prepared['deep_after']}",
            staff,
        ),
        Page("member name search", "GET", f"/console/members/?{urlencode({'q': '王'})}", staff),
    ]


# --- a run ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    database: str
    prepared: dict
    port: int
    process: subprocess.Popen
    data_dir: Path

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start(database: str, members: int, args) -> Server:
    """A fresh data folder (and PostgreSQL database) with `members` members, served."""
    data_dir, env = fresh_environment("huzhu-bench-", "benchmarks.settings")
    if database == "postgres":
        url = f"{args.pg_url}_{members}"
        recreate_pg(url)
        env["DATABASE_URL"] = url
    huzhu = str(BIN / "huzhu")
    subprocess.run([huzhu, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([huzhu, "demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    out = subprocess.run(
        [sys.executable, __file__, "prepare", "--members", str(members)],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    prepared = json.loads(out.strip().splitlines()[-1])
    print(
        f"  {database}, {prepared['members']:,} members ({prepared['hutang_members']:,} "
        f"in 湖塘镇; {prepared['added']:,} added in {prepared['load_seconds']} s)",
        flush=True,
    )
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "sync"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen([*command, "benchmarks.wsgi:application"], env=env, cwd=ROOT)
    _wait_for(port)
    return Server(database, prepared, port, process, data_dir)


def run_database(database: str, sizes: list[int], args) -> list[dict]:
    """Every page against a server per member count, the counts interleaved page by page,
    so that the machine's load drifts as little as possible between them."""
    servers: list[Server] = []
    try:
        for members in sizes:
            servers.append(start(database, members, args))
        results: list[dict] = [{} for _ in servers]
        for index in range(len(_pages(servers[0].prepared))):
            for _round in range(args.rounds):
                for server, figures in zip(servers, results, strict=True):
                    page = _pages(server.prepared)[index]
                    result = measure(server.port, page, args.clients, args.duration)
                    print(
                        f"    {server.prepared['members']:>7,} {page.name:<28} "
                        f"{result.per_second:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
                        f"p99 {result.p99_ms:7.1f} ms  errors {result.errors}",
                        flush=True,
                    )
                    # The best round: the one the other users of the machine disturbed least.
                    best = figures.get(page.name)
                    if best is None or result.per_second > best["per_second"]:
                        figures[page.name] = result.__dict__ | {"per_second": result.per_second}
        return [
            {"database": database, "members": s.prepared["members"], "pages": figures}
            for s, figures in zip(servers, results, strict=True)
        ]
    finally:
        for server in servers:
            server.stop()


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def table(runs: list[dict]) -> str:
    """Markdown: one row per page, req/s and p99 per run, and the ratio to the bare view."""
    head = "| page | " + " | ".join(f"{r['database']} {r['members']:,}" for r in runs) + " |"
    lines = [head, "|---" * (len(runs) + 1) + "|"]
    for name in runs[0]["pages"]:
        cells = []
        for run in runs:
            figures = run["pages"][name]
            bare = run["pages"]["bare Django view"]["per_second"]
            ratio = bare / figures["per_second"] if figures["per_second"] else float("inf")
            cells.append(
                f"{figures['per_second']:,.0f}/s · p99 {figures['p99_ms']:.0f} ms · {ratio:.1f}×"
                + (f" · {figures['errors']} errors" if figures["errors"] else "")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("prepare", help="(internal) load members and print cookies")
    inner.add_argument("--members", type=int, required=True)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--members", type=int, nargs="+", default=[300, 100_000])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per page")
    parser.add_argument(
        "--rounds", type=int, default=2, help="measures per page and count; the best is kept"
    )
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.command == "prepare":
        print(json.dumps(prepare(args.members)))
        return
    print(
        f"{args.clients} clients, {args.duration:g} s per page, best of {args.rounds} rounds, "
        "gunicorn 2 sync workers"
    )
    runs = [run for db in args.databases for run in run_database(db, args.members, args)]
    print()
    print(table(runs))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
