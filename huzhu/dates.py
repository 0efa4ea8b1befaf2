"""The scheme's calendar: dates, years and report periods are Asia/Shanghai dates (SPEC),
whatever zone the server runs in. `date.today()` would read the server's zone, and
`timezone.localdate()` the zone active in the request; neither is used for scheme dates."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

SCHEME_ZONE = ZoneInfo("Asia/Shanghai")


def scheme_date(moment: datetime.datetime) -> datetime.date:
    """The Shanghai date of an aware moment (a stored UTC time)."""
    return moment.astimezone(SCHEME_ZONE).date()


def scheme_today() -> datetime.date:
    return scheme_date(timezone.now())
