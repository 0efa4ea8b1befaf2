"""Staff sign-in lockout (SPEC S4) on django-axes.

axes counts failures per username *and* address (AXES_LOCKOUT_PARAMETERS), so someone
elsewhere cannot lock a user out by typing wrong passwords for them. That alone would let
one address try four passwords on each of any number of usernames, so this handler adds a
second, higher limit per address whatever the username (a union office's staff share one
NAT address). Attempts made during a lock are not counted and do not extend it
(AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False).
"""

from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event


def lock_minutes() -> int:
    return round(get_cool_off().total_seconds() / 60)


def _since() -> datetime:
    return timezone.now() - get_cool_off()


def _recent() -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(attempt_time__gte=_since())


def address_failures(address: str | None) -> int:
    if not address:
        return 0
    total = _recent().filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


def locked_usernames() -> set[str]:
    """Usernames locked at some address (for the Users page)."""
    rows = (
        _recent()
        .values("username", "ip_address")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def locked_addresses() -> list[str]:
    rows = (
        _recent()
        .values("ip_address")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.HUZHU_LOCKOUT_ADDRESS_FAILURES)
        .order_by("ip_address")
    )
    return [row["ip_address"] for row in rows]


class LockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self._address_locked(request)

    def _address_locked(self, request) -> bool:
        failures = address_failures(request.axes_ip_address)
        return failures >= settings.HUZHU_LOCKOUT_ADDRESS_FAILURES

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # axes marks the request before this signal when it refused an already locked
        # client; that attempt is not recorded, and the lock is not news.
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or already_locked:
            return
        username = get_client_username(request, credentials)
        scope = "username_address"
        if not request.axes_locked_out:
            if not self._address_locked(request):
                return
            scope = "address"
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )
        username = str(username or "")[:150]
        record_event(
            action=Action.LOCKED_OUT,
            request=request,
            summary=f"{username} {request.axes_ip_address or ''}".strip(),
            data={"username": username, "scope": scope},
        )
