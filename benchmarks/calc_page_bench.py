"""Benchmark of the calculator page /m/calc/: CPU milliseconds per GET (a page opened) and
per POST (one stay estimated), in process through Django's test client, on a fresh SQLite
database. Run on demand:

    .venv/bin/python benchmarks/calc_page_bench.py [ROOT]

ROOT is the source tree to measure (default: this one), so that an older commit checked out
elsewhere can be measured with the same script. Not part of the test suite.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

POST = {
    "year": "2022",
    "benefit": "hospitalization",
    "stay-TOTAL_FORMS": "1",
    "stay-INITIAL_FORMS": "1",
    "stay-MIN_NUM_FORMS": "1",
    "stay-MAX_NUM_FORMS": "20",
    "stay-0-admitted_on": "2022-03-01",
    "stay-0-cause": "illness",
    "stay-0-insurance_scope": "jiangsu",
    "stay-0-settled_self_pay": "12000",
    "stay-0-liability_percent": "100",
}


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    sys.path.insert(0, str(root))
    os.environ["HUZHU_DATA_DIR"] = tempfile.mkdtemp(prefix="huzhu-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "huzhu.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    client = Client()
    for _ in range(20):
        assert client.get("/m/calc/").status_code == 200
    for name, call in (
        ("GET /m/calc/", lambda: client.get("/m/calc/")),
        ("POST /m/calc/ (one stay)", lambda: client.post("/m/calc/", POST)),
    ):
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(100):
                call()
            best = min(best, (time.process_time() - started) * 10)
        response = call()
        assert response.status_code == 200
        print(f"{name:<26} {best:5.1f} ms CPU per request   {len(response.content):,} bytes")


if __name__ == "__main__":
    main()
