"""Reads of staff accounts and their authenticators, scoped to the acting user."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts import roles
from huzhu.accounts.access import get_in_scope_or_404, scoped
from huzhu.accounts.lockout import locked_usernames
from huzhu.accounts.models import User
from huzhu.org.models import Unit, UnitKind


def confirmed_device(*, user: User) -> TOTPDevice | None:
    """The user's own confirmed authenticator, if they have enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(*, user: User, pk: int | None) -> TOTPDevice | None:
    """The user's own authenticator being enrolled (`pk` from their session), while the
    enrolment code it is bound to still holds."""
    if pk is None:
        return None
    return TOTPDevice.objects.filter(
        pk=pk,
        user=user,
        confirmed=False,
        enrolment_code__used_at=None,
        enrolment_code__expires_at__gt=timezone.now(),
    ).first()


@dataclass(frozen=True)
class StaffRow:
    user: User
    locked: bool  # locked out at some address, within the cool-off
    enrolled: bool  # has a confirmed authenticator
    second_factor: bool  # the role needs one


def staff_rows(*, user: User) -> list[StaffRow]:
    """The staff users under the acting user's unit (for the district admin, everyone)."""
    staff = scoped(User.objects.select_related("unit"), user, "unit__path").order_by(
        "unit__path", "username"
    )
    locked = locked_usernames()
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=staff).values_list("user_id", flat=True)
    )
    return [
        StaffRow(
            user=u,
            locked=u.username in locked,
            enrolled=u.pk in enrolled,
            second_factor=roles.needs_second_factor(u.role),
        )
        for u in staff
    ]


def staff_user(*, user: User, pk: int) -> User:
    """One staff user under the acting user's unit, or 404."""
    return get_in_scope_or_404(User.objects.select_related("unit"), user, "unit__path", pk=pk)


def staff_units(*, user: User) -> QuerySet[Unit]:
    """The units a staff user may be attached to, under the acting user's unit (an employer
    has no staff of ours)."""
    return scoped(Unit.objects.exclude(kind=UnitKind.EMPLOYER), user).order_by("path")


def any_staff_user_named(*, username: str) -> User | None:
    """A staff user by username, anywhere in the district: for the operator's commands on
    the server (`huzhu unlock`, `huzhu totp`), which act as the system, not as a user."""
    return User.objects.select_related("unit").filter(username=username).first()
