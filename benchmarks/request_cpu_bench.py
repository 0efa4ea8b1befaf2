"""CPU milliseconds per request of the calculator API and the console's dashboard and member
list, in process through Django's test client, on a fresh database holding the demo data.
Run on demand:

    .venv/bin/python benchmarks/request_cpu_bench.py [--root ROOT] [--profile PAGE]

SQLite in a temporary data folder by default; with DATABASE_URL set, that database (it is
migrated and loaded with the demo data: use a scratch one). ROOT is the source tree to
measure (default: this one), so that an older commit exported elsewhere
(`git archive COMMIT | tar -x -C DIR`) is measured by the same script. `--profile PAGE`
prints the cProfile of 200 requests of that page instead. Not part of the test suite.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

CASE = {
    "year": 2022,
    "benefit": "hospitalization",
    "already_paid": "500",
    "episodes": [{"admitted_on": "2022-03-01", "settled_self_pay": "12000"}],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--profile", default="")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--queries", default="", help="print the SQL of one request of PAGE")
    args = parser.parse_args()
    sys.path.insert(0, args.root)
    os.environ.setdefault("HUZHU_DATA_DIR", tempfile.mkdtemp(prefix="huzhu-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "huzhu.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["HUZHU_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.HUZHU_CALCULATOR_API_RATE = 1_000_000_000  # one address, as in load_bench.py
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0)
    from huzhu.accounts.models import User

    staff = Client()
    staff.force_login(User.objects.get(username="hutang"))
    anonymous = Client()
    body = json.dumps(CASE)
    pages = {
        "api": lambda: anonymous.post("/api/v1/calculator", body, content_type="application/json"),
        "dashboard": lambda: staff.get("/console/"),
        "members": lambda: staff.get("/console/members/"),
    }
    for call in pages.values():
        for _ in range(20):
            assert call().status_code == 200
    if args.queries:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            pages[args.queries]()
        for query in queries.captured_queries:
            print(query["sql"][:300])
        return
    if args.profile:
        import cProfile
        import pstats

        call = pages[args.profile]
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.requests):
            call()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]
    for name, call in pages.items():
        best, best_wall = float("inf"), float("inf")
        for _ in range(5):
            started, started_wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                call()
            best = min(best, (time.process_time() - started) * 1000 / args.requests)
            best_wall = min(best_wall, (time.perf_counter() - started_wall) * 1000 / args.requests)
        print(
            f"{engine:<11} {name:<10} {best:5.2f} ms CPU per request, {best_wall:5.2f} ms elapsed"
        )


if __name__ == "__main__":
    main()
