"""Benchmark of the roster's paper side (SPEC X8, X9).

    .venv/bin/python benchmarks/forms_bench.py                 # 1,000 forms, 100,000-row export
    .venv/bin/python benchmarks/forms_bench.py --pages 1000 --rows 0

Forms: `render_forms` for `--pages` members (one A4 page each), with the embedded system CJK
font when the machine has one and with the built-in STSong-Light; pages per second.

Export: a fresh SQLite data folder, the demo data (`huzhu demo`), members up to `--rows`
with a 2022 enrollment each (set-based, as enrollment_list_bench.py builds them), then the
district's roster written masked, and written with full numbers and encrypted, each in its
own process so that its peak memory (the process's maximum resident set, less the same
process's before the export) is the export's. Not part of the test suite.
"""

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import BIN, ROOT, fresh_environment

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forms(pages: int) -> dict:
    import django

    django.setup()
    from huzhu.rosters import forms_pdf
    from huzhu.rosters.forms_pdf import BUILT_IN_FONT, FormEntry, render_forms

    entries = [
        FormEntry(
            name="张三丰" if i % 2 else "李四",
            id_number=f"3204121985{i:07d}X"[:18],
            union_card=f"62316690{i:011d}",
            phone=f"138{i:08d}",
            employer="常州市武进区湖塘镇某某机械制造有限公司",
            union="湖塘镇某某机械制造有限公司工会",
        )
        for i in range(pages)
    ]
    results = {}
    embedded = forms_pdf.font_name()
    for label, font in (("embedded " + embedded, embedded), ("built-in", BUILT_IN_FONT)):
        if label.startswith("embedded") and embedded == BUILT_IN_FONT:
            continue
        original = forms_pdf.font_name
        forms_pdf.font_name = lambda font=font: font  # type: ignore[assignment]
        if font == BUILT_IN_FONT:
            original(files=())  # registers the built-in font
        render_forms(entries[:10], year=2022)  # warm up: font loading, subsetting code
        started = time.perf_counter()
        content, count = render_forms(entries, year=2022)
        seconds = time.perf_counter() - started
        forms_pdf.font_name = original
        results[label] = {
            "pages": count,
            "seconds": round(seconds, 2),
            "pages_per_second": round(count / seconds),
            "mib": round(len(content) / 2**20, 1),
        }
    return results


def build(rows: int) -> dict:
    import django

    django.setup()
    from enrollment_list_bench import _add_members, _enroll_everyone

    rng = random.Random(11)
    started = time.perf_counter()
    _add_members(rows, rng)
    enrolled = _enroll_everyone(rng)
    return {"enrollments": enrolled, "seconds": round(time.perf_counter() - started, 1)}


def export(encrypted: bool) -> dict:
    import django

    django.setup()
    from huzhu.org.models import Unit, UnitKind
    from huzhu.policy.selectors import current_policies
    from huzhu.rosters.export import export_roster

    district = Unit.objects.get(kind=UnitKind.DISTRICT)
    current_policies()
    before = _rss_mib()
    started = time.perf_counter()
    result = export_roster(
        actor=None, unit=district, year=2022, password="bench-password" if encrypted else None
    )
    seconds = time.perf_counter() - started
    return {
        "rows": result.count,
        "seconds": round(seconds, 1),
        "peak_mib_over_start": round(_rss_mib() - before, 1),
        "peak_mib": round(_rss_mib(), 1),
        "file_mib": round(len(result.content) / 2**20, 1),
    }


def _inside(env: dict, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        what, _, value = args.inside.partition(":")
        result = {
            "forms": lambda: forms(int(value)),
            "build": lambda: build(int(value)),
            "export": lambda: export(value == "encrypted"),
        }[what]()
        print(json.dumps(result, ensure_ascii=False))
        return
    data_dir, env = fresh_environment("huzhu-formsbench-")
    try:
        subprocess.run([BIN / "huzhu", "migrate", "--no-input", "-v0"], env=env, check=True)
        if args.pages:
            for label, figures in _inside(env, "--inside", f"forms:{args.pages}").items():
                print(f"forms, {label}: {figures}")
        if args.rows:
            subprocess.run([BIN / "huzhu", "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
            print(f"data: {_inside(env, '--inside', f'build:{args.rows}')}")
            for kind in ("masked", "encrypted"):
                print(f"export {kind}: {_inside(env, '--inside', f'export:{kind}')}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
