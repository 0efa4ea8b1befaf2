"""Benchmark of the field encryption (huzhu/members/crypto.py) at roster-import scale:
100,000 rows × 3 fields (ID, phone and union card numbers). Run on demand:

    .venv/bin/python benchmarks/crypto_bench.py [--rows 100000] [--rounds 3]

Prints values per second (best of the rounds, one core) for Fernet, as values were stored
before, and for AES-256-GCM with a key id (`g1.…`) as they are stored now: encrypting one by
one (`crypto.encrypt`), in bulk (`crypto.encrypt_many`), and decrypting (`crypto.decrypt`,
both formats), plus the keyed lookup hash an import computes for each field. Not part of the
test suite.
"""

import argparse
import random
import time
from collections.abc import Callable

from cryptography.fernet import Fernet
from django.conf import settings

FIELDS = 3


def roster_values(rows: int, seed: int = 2022) -> list[str]:
    """ID, phone and card numbers of `rows` members, in that order per row."""
    rng = random.Random(seed)
    values = []
    for _ in range(rows):
        values.append(f"320412{rng.randint(1960, 2004)}{rng.randint(10**7, 10**8 - 1)}")
        values.append(f"13{rng.randint(10**8, 10**9 - 1)}")
        values.append(f"623166{rng.randint(10**12, 10**13 - 1)}")
    return values


def best(rounds: int, work: Callable[[], object]) -> float:
    """The shortest of `rounds` runs of `work`, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    field_key = Fernet.generate_key().decode()
    settings.configure(
        HUZHU_FIELD_KEY=field_key, HUZHU_RETIRED_FIELD_KEYS=[], HUZHU_LOOKUP_KEY="bench"
    )
    from huzhu.members import crypto

    values = roster_values(args.rows)
    fernet = Fernet(field_key.encode())
    fernet_tokens = [fernet.encrypt(v.encode()).decode() for v in values]
    g1_tokens = crypto.encrypt_many(values)

    def fernet_encrypt() -> object:  # what crypto.encrypt did before
        return [fernet.encrypt(v.encode()).decode() for v in values]

    def fernet_decrypt() -> object:
        return [fernet.decrypt(t.encode()).decode() for t in fernet_tokens]

    cases = [
        ("Fernet encrypt (before)", fernet_encrypt),
        ("Fernet decrypt (before)", fernet_decrypt),
        ("Fernet token via crypto.decrypt", lambda: [crypto.decrypt(t) for t in fernet_tokens]),
        ("AES-GCM crypto.encrypt", lambda: [crypto.encrypt(v) for v in values]),
        ("AES-GCM crypto.encrypt_many", lambda: crypto.encrypt_many(values)),
        ("AES-GCM crypto.decrypt", lambda: [crypto.decrypt(t) for t in g1_tokens]),
        ("lookup_hash (each field)", lambda: [crypto.lookup_hash("id", v) for v in values]),
    ]
    count = len(values)
    print(f"{args.rows:,} rows × {FIELDS} fields = {count:,} values, best of {args.rounds}")
    print()
    print("| operation | values/s | seconds for all | µs per row |")
    print("|---|---:|---:|---:|")
    for label, work in cases:
        seconds = best(args.rounds, work)
        per_row = seconds / args.rows * 1e6
        print(f"| {label} | {count / seconds:,.0f} | {seconds:.2f} | {per_row:.1f} |")
    assert [crypto.decrypt(t) for t in g1_tokens[:1000]] == values[:1000]
    print()
    print(
        f"ciphertext length of an ID number: Fernet {len(fernet_tokens[0])}, g1 {len(g1_tokens[0])}"
    )


if __name__ == "__main__":
    main()
