"""Reads of kept bank notices."""

from django.db.models import QuerySet

from huzhu.accounts import roles
from huzhu.accounts.types import User
from huzhu.bank.models import BankNotice, Outcome


def refused_notices(*, user: User) -> QuerySet[BankNotice]:
    """Refused notices awaiting follow-up, newest first: district-wide, so only for those
    who read the whole district's records (the district admin and auditors)."""
    if not roles.can_read_audit(user.role):
        return BankNotice.objects.none()
    return BankNotice.objects.filter(outcome=Outcome.REFUSED).order_by("-received_at", "-id")
