"""Benchmark of the benefit calculator: 100,000 mixed cases through the bare function and
through `huzhu calc`. Run on demand:

    .venv/bin/python benchmarks/calc_bench.py [--cases 100000]

Prints cases per second and peak memory for both. Not part of the test suite.
"""

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mixed_cases(count: int, seed: int = 2022) -> list[dict]:
    rng = random.Random(seed)
    illnesses = ["恶性肿瘤", "癌症", "尿毒症", "malignant_tumor", "高血压"]
    cases = []
    for index in range(count):
        kind = index % 10
        if kind < 7:  # most claims are hospital stays
            episodes = []
            for stay in range(rng.randint(1, 4)):
                episode = {
                    "admitted_on": f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "settled_self_pay": f"{rng.randint(0, 4000000) / 100:.2f}",
                }
                if stay == 1 and rng.random() < 0.3:
                    episode["unsettled_cost"] = f"{rng.randint(0, 2000000) / 100:.2f}"
                if rng.random() < 0.1:
                    episode.update(
                        cause="traffic_accident",
                        settled_self_pay="0",
                        traffic_total_cost=f"{rng.randint(0, 5000000) / 100:.2f}",
                        liability_ratio=rng.choice(["1", "0.7", "0.5", "0.3"]),
                    )
                if rng.random() < 0.03:
                    episode["exclusions"] = [rng.choice(["intoxication", "cosmetic", "orthopedic"])]
                episodes.append(episode)
            cases.append(
                {
                    "year": 2022,
                    "benefit": "hospitalization",
                    "already_paid": rng.choice(["0", "0", "500", "1000"]),
                    "episodes": episodes,
                }
            )
        elif kind < 9:
            cases.append(
                {
                    "year": 2022,
                    "benefit": "critical_illness",
                    "illness": rng.choice(illnesses),
                    "diagnosed_on": f"2022-{rng.randint(1, 12):02d}-15",
                    "hospital": {
                        "in_changzhou": rng.random() < 0.7,
                        "grade": rng.choice([1, 2, 3]),
                    },
                }
            )
        else:
            cases.append(
                {
                    "year": rng.choice([2022, 2022, 2022, 2021]),
                    "benefit": "work_injury",
                    "injured_on": "2022-05-01",
                    "grade": rng.choice(["death", *range(1, 11)]),
                    "certificate_level": rng.choice(["city", "province", "county"]),
                }
            )
    return cases


def bench_function(cases: list[dict]) -> dict[str, float]:
    import django

    django.setup()
    from django.utils import translation

    try:  # the calculator's JSON front (after the split into typed decisions)
        from huzhu.calcfront.answers import calculate_many, calculate_payload
        from huzhu.policy.calculator import parse_all
    except ImportError:  # before it, to compare on the same machine
        from huzhu.policy.calculator import calculate_many, calculate_payload, parse_all
    from huzhu.policy.document import parse_policy, read_policy_file, shipped_policy_files

    translation.activate("zh-hans")
    policies = {}
    for path in shipped_policy_files():
        document, _digest = read_policy_file(path)
        policy = parse_policy(document, path.name)
        policies[policy.year] = policy
    calculate_payload(cases[:1000], policies)  # warm the caches

    def streamed():
        for _result in calculate_many(parse_all(cases, policies), policies):
            pass

    figures = {}
    for name, run in (
        ("streamed", streamed),
        ("whole", lambda: calculate_payload(cases, policies)),
    ):
        best = min(_timed(run) for _ in range(3))
        figures[f"{name}_rate"] = len(cases) / best
        tracemalloc.start()
        run()
        figures[f"{name}_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return figures


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def bench_command(cases: list[dict], env: dict) -> tuple[float, float]:
    huzhu = [sys.executable, "-m", "huzhu"]
    subprocess.run([*huzhu, "migrate", "--no-input", "-v0"], env=env, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(cases, handle, ensure_ascii=False)
    started = time.perf_counter()
    done = subprocess.run(
        [*huzhu, "calc", handle.name], env=env, check=True, stdout=subprocess.PIPE
    )
    elapsed = time.perf_counter() - started
    os.unlink(handle.name)
    assert len(json.loads(done.stdout)) == len(cases)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return len(cases) / elapsed, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="huzhu-bench-")
    env = {
        **os.environ,
        "HUZHU_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "huzhu.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update({k: env[k] for k in ("HUZHU_DATA_DIR", "DJANGO_SETTINGS_MODULE")})
    sys.path.insert(0, str(ROOT))
    cases = mixed_cases(args.cases)
    # The input is set-up, not work: keep the garbage collector from rescanning it, as the
    # command does with the file it has loaded.
    gc.freeze()
    command_rate, command_peak = bench_command(cases, env)
    f = bench_function(cases)
    print(
        f"cases: {len(cases):,} (70% hospitalization with 1–4 stays, 20% critical illness, "
        "10% work injury)"
    )
    print(
        f"function, streamed (parse_all + calculate_many): {f['streamed_rate']:>8,.0f} cases/s"
        f"   peak traced {f['streamed_peak']:,.0f} MiB"
    )
    print(
        f"function, whole answer (calculate_payload):     {f['whole_rate']:>8,.0f} cases/s"
        f"   peak traced {f['whole_peak']:,.0f} MiB"
    )
    print(
        f"huzhu calc FILE:                                {command_rate:>8,.0f} cases/s"
        f"   peak RSS {command_peak:,.0f} MiB (start-up, database, JSON in and out)"
    )
    print(f"command vs streamed function: {f['streamed_rate'] / command_rate:.2f}× slower")


if __name__ == "__main__":
    main()
