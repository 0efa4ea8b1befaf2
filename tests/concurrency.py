"""Calls run at the same moment in threads, each on its own database connection."""

import threading

from django.db import connections


def at_once(*calls, expected: tuple[type[Exception], ...]) -> list[str]:
    """Run the calls in threads released together; their sorted outcomes: "ok", or the name
    of the `expected` error a call raised (any other error fails the test through the
    missing outcome)."""
    start = threading.Barrier(len(calls), timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        start.wait()
        try:
            call()
            result = "ok"
        except expected as exc:
            result = type(exc).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)
