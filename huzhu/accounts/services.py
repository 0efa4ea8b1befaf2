"""Writes to staff accounts; each in one transaction with its audit row."""

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.models import User
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.org.models import Unit


def create_staff_user(
    *, actor, username: str, display_name: str, role: str, unit: Unit, password: str, request=None
) -> User:
    """Raises ValidationError with field names (username, unit, password)."""
    user = User(username=username.strip(), display_name=display_name.strip(), role=role, unit=unit)
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        record_event(
            action=Action.USER_CREATE,
            actor=actor,
            target=user,
            request=request,
            unit_path=unit.path,
            summary=f"{user.username} {user.get_role_display()}",
        )
    return user


def unlock_user(*, actor, user: User, request=None) -> None:
    """Lift a lockout after repeated wrong passwords (SPEC S4)."""
    with transaction.atomic():
        axes_reset(username=user.username)
        record_event(
            action=Action.USER_UNLOCK,
            actor=actor,
            target=user,
            request=request,
            unit_path=user.unit_path,
            summary=user.username,
        )


def reset_second_factor(*, actor, user: User, request=None) -> None:
    """A lost phone: the user enrols a new authenticator at the next sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record_event(
            action=Action.USER_RESET_SECOND_FACTOR,
            actor=actor,
            target=user,
            request=request,
            unit_path=user.unit_path,
            summary=user.username,
        )
