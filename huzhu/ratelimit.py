"""Fixed-window rate limits shared by every web process (a row per key and window).

`hit("api:calc:203.0.113.9", limit=60, window=60)` counts one request and says whether it
is still within the limit. Used where an anonymous or repeated request could be abused:
the public calculator API, searches by full ID or phone number.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from huzhu.models import RateCounter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def _window_start(now: datetime.datetime, window: int) -> datetime.datetime:
    seconds = int(now.timestamp()) // window * window
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def hit(key: str, *, limit: int, window: int) -> Verdict:
    """Count one hit of `key`; allowed while the window holds at most `limit` hits."""
    now = timezone.now()
    start = _window_start(now, window)
    key = key[:200]
    with transaction.atomic():
        # A conditional increment, then a create when the window is new; two processes
        # creating at once meet the unique constraint and the loser increments instead.
        if not RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
                # Old windows of this key are of no further use.
                RateCounter.objects.filter(key=key, window_start__lt=start).delete()
            except IntegrityError:
                RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        count = RateCounter.objects.get(key=key, window_start=start).count
    retry_after = max(1, int((start - now).total_seconds()) + window)
    return Verdict(allowed=count <= limit, count=count, retry_after=retry_after)
