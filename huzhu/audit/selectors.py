"""Reads of the audit log, scoped to the acting user (SPEC S1, S3)."""

import datetime

from django.db.models import QuerySet

from huzhu.accounts.access import scoped
from huzhu.accounts.models import User
from huzhu.audit.actions import codes_matching
from huzhu.audit.models import AuditEvent
from huzhu.dates import SCHEME_ZONE


def _start_of(day: datetime.date, days_later: int = 0) -> datetime.datetime | None:
    """The first instant of the day (an Asia/Shanghai day, SCHEME_ZONE; stored times are
    UTC), or None at the ends of the calendar: 0001-01-01 in Shanghai is still year 0 in
    UTC, and the day after 9999-12-31 does not exist. Either way nothing is cut off there."""
    try:
        start = datetime.datetime.combine(
            day + datetime.timedelta(days=days_later), datetime.time.min, tzinfo=SCHEME_ZONE
        )
        start.astimezone(datetime.UTC)
    except OverflowError:
        return None
    return start


def events_for(
    *,
    user: User,
    words: str = "",
    who: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Newest first. `words` match the Chinese label or the code of the action
    (查看完整信息, 登录, member.reveal); `since` and `until` are whole days, both included."""
    if user.unit is not None and user.unit.kind == "district":
        # District users also see events that belong to no unit (failed sign-ins, system).
        events = AuditEvent.objects.all()
    else:
        events = scoped(AuditEvent.objects.all(), user, "unit_path")
    if words.strip():
        events = events.filter(action__in=codes_matching(words))
    if who.strip():
        events = events.filter(actor_label__icontains=who.strip())
    start = _start_of(since) if since is not None else None
    if start is not None:
        events = events.filter(at__gte=start)
    end = _start_of(until, days_later=1) if until is not None else None
    if end is not None:
        events = events.filter(at__lt=end)
    return events
