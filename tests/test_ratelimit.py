import datetime

import pytest
from django.utils import timezone

from huzhu import ratelimit
from huzhu.models import RateCounter


@pytest.mark.django_db
def test_hits_within_the_limit_are_allowed_and_the_next_is_refused():
    verdicts = [ratelimit.hit("test:a", limit=3, window=60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.count for v in verdicts] == [1, 2, 3, 4]
    assert 1 <= verdicts[-1].retry_after <= 60


@pytest.mark.django_db
def test_keys_are_counted_apart():
    for _ in range(3):
        ratelimit.hit("test:a", limit=3, window=60)
    assert ratelimit.hit("test:b", limit=3, window=60).allowed


@pytest.mark.django_db
def test_a_new_window_starts_afresh_and_drops_old_windows(monkeypatch):
    start = timezone.now()
    for _ in range(4):
        ratelimit.hit("test:a", limit=3, window=60)
    later = start + datetime.timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert ratelimit.hit("test:a", limit=3, window=60).count == 1
    assert RateCounter.objects.filter(key="test:a").count() == 1


@pytest.mark.django_db
def test_a_hit_is_one_statement_and_a_new_window_one_more(django_assert_num_queries):
    with django_assert_num_queries(2):  # the counting upsert, then the old windows dropped
        ratelimit.hit("test:q", limit=3, window=60)
    with django_assert_num_queries(1):
        ratelimit.hit("test:q", limit=3, window=60)


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_connections_hitting_at_once():
    # Each thread has its own database connection, as each web process has: the counts
    # they are told are every number from 1 to the total exactly once, and exactly `limit`
    # hits are allowed whoever made them.
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        # The test database of SQLite is in memory with a shared cache, whose table locks
        # fail at once instead of waiting; a SQLite file serialises writers anyway.
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    per_thread, limit = 15, 10
    start = threading.Barrier(2, timeout=30)
    verdicts: list[ratelimit.Verdict] = []
    lock = threading.Lock()

    def hammer() -> None:
        try:
            start.wait()
            mine = [
                ratelimit.hit("test:shared", limit=limit, window=3600) for _ in range(per_thread)
            ]
        finally:
            connections.close_all()
        with lock:
            verdicts.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v.count for v in verdicts) == list(range(1, 2 * per_thread + 1))
    assert sum(v.allowed for v in verdicts) == limit
    assert RateCounter.objects.get(key="test:shared").count == 2 * per_thread


@pytest.mark.django_db
def test_without_returning_the_count_is_read_in_the_same_transaction(monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    verdicts = [ratelimit.hit("test:old", limit=2, window=60) for _ in range(3)]
    assert [(v.count, v.allowed) for v in verdicts] == [(1, True), (2, True), (3, False)]
