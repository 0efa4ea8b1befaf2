"""Benchmark of the roster import (SPEC X1–X7): a 100,000-row roster built like 附件4,
read bare with python-calamine and imported whole with `import_roster`, on SQLite and on
PostgreSQL. Run on demand:

    .venv/bin/python benchmarks/roster_import_bench.py [--rows 100000]
        [--databases sqlite postgres] [--pg-url postgres://postgres@127.0.0.1:5432/huzhu_rbench]

Each database gets a fresh data folder (PostgreSQL: the database is dropped and created
again) and its own process, so the peak memory (ru_maxrss) is the import's. The import's
time is split into reading (huzhu.rosters.reader), validating (the row checks, keyed
hashes and the chunked lookups), encrypting (the numbers of new members) and writing (the
one transaction), plus the errors workbook; then the same file is imported again (X6: every
row already enrolled). Not part of the test suite.
"""

import argparse
import datetime
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from common import BIN, ROOT, fresh_environment, recreate_pg

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/huzhu_rbench"
HEADER = [
    "序号",
    "乡镇",
    "姓名",
    "身份证号码",
    "手机号码",
    "工作单位",
    "工会卡卡号",
    "是否参加常州基本医保",
    "备注",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int) -> str:
    birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=n // 1000)
    first17 = f"320412{birth:%Y%m%d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def roster_xlsx(rows: int) -> bytes:
    """附件4's layout: two title rows, the header, `rows` members (one in 100 with a bad
    phone number), numbered empty rows and the 注 line; every cell text."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("附件4")
    sheet.write_string(0, 0, "2022年武进区在职职工医疗互助保障参保职工汇总表")
    sheet.write_string(1, 0, "申请单位工会：（盖章）")
    for c, text in enumerate(HEADER):
        sheet.write_string(2, c, text)
    for n in range(1, rows + 1):
        r = n + 2
        name = SURNAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20]
        phone = f"139{n:08d}" if n % 100 else "12345"
        cells = [str(n), "湖塘镇", name, id_number(n), phone, "湖塘镇甲公司"]
        cells += [f"62316688{n:011d}", "是"]
        for c, text in enumerate(cells):
            sheet.write_string(r, c, text)
    for extra in range(3):
        sheet.write_string(rows + 3 + extra, 0, str(rows + extra + 1))
    sheet.write_string(rows + 6, 0, "注：个人缴费金额30元/人/年")
    book.close()
    return out.getvalue()


def bare_read(content: bytes) -> tuple[float, int]:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    count = sum(1 for _row in sheet.iter_rows())
    return time.perf_counter() - started, count


class Clock:
    """Seconds spent inside the wrapped functions, by phase."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, owner, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)


def run(rows: int) -> dict:
    """Inside Django (a subprocess with the run's environment)."""
    import django

    django.setup()
    from django.db import connection

    from huzhu.org.models import UnitKind
    from huzhu.org.services import create_unit, district
    from huzhu.rosters import importer

    root = district()
    town = create_unit(actor=None, name="湖塘镇", kind=UnitKind.ORGANIZING, parent=root)
    union = create_unit(actor=None, name="湖塘镇甲公司工会", kind=UnitKind.GRASSROOTS, parent=town)

    started = time.perf_counter()
    content = roster_xlsx(rows)
    build_seconds = time.perf_counter() - started
    bare_seconds, bare_rows = bare_read(content)

    clock = Clock()
    clock.wrap(importer, "read_roster", "reading")
    clock.wrap(importer, "check_rows", "validating (row checks)")
    clock.wrap(importer._Importer, "judge", "judging")
    clock.wrap(importer, "_encrypt_all", "encrypting")
    clock.wrap(importer._Importer, "write", "writing")
    clock.wrap(importer, "errors_workbook", "errors workbook")

    def once() -> tuple[float, object]:
        began = time.perf_counter()
        result = importer.import_roster(
            content=content,
            filename="湖塘镇甲公司工会1101.xlsx",
            password=None,
            year=2022,
            kind="new",
            signed_on=datetime.date(2021, 11, 1),
            unit=union,
            actor=None,
            dry_run=False,
            upload=None,
        )
        return time.perf_counter() - began, result

    load_before = os.getloadavg()[0]
    total, result = once()
    phases = dict(clock.seconds)
    # The lookups and judgement of the rows, without the encryption done in the same pass.
    phases["validating (lookups, judging)"] = phases.pop("judging") - phases.get("encrypting", 0)
    phases["other (transaction, audit, counts)"] = total - sum(phases.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    again_seconds, again = once()
    return {
        "vendor": connection.vendor,
        "rows": rows,
        "file_mib": round(len(content) / 2**20, 1),
        "build_seconds": round(build_seconds, 1),
        "bare_read_seconds": round(bare_seconds, 2),
        "bare_rows": bare_rows,
        "import_seconds": round(total, 2),
        "ratio": round(total / bare_seconds, 1),
        "phases": {name: round(value, 2) for name, value in phases.items()},
        "imported": result.imported,  # type: ignore[attr-defined]
        "rejected": result.rejected,  # type: ignore[attr-defined]
        "again_seconds": round(again_seconds, 2),
        "again_already_enrolled": again.already_enrolled,  # type: ignore[attr-defined]
        "peak_rss_mib": round(peak_mib),
        # The machine's 1-minute load average before and after the first import.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def measure(database: str, args) -> dict:
    data_dir, env = fresh_environment("huzhu-rbench-")
    try:
        if database == "postgres":
            recreate_pg(args.pg_url)
            env["DATABASE_URL"] = args.pg_url
        huzhu = str(BIN / "huzhu")
        subprocess.run([huzhu, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        command = [sys.executable, __file__, "run", "--rows", str(args.rows)]
        out = subprocess.run(
            command, env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("run", help="(internal) build the roster and time the import")
    inner.add_argument("--rows", type=int, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--pg-url", default=os.environ.get("HUZHU_BENCH_PG", DEFAULT_PG))
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.rows), ensure_ascii=False))
        return
    for database in args.databases:
        result = measure(database, args)
        print(json.dumps(result, ensure_ascii=False, indent=2), flush=True)


if __name__ == "__main__":
    main()
