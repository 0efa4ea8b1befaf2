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
