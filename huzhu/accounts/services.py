"""Writes to staff accounts; each in one transaction with its audit row."""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu import ratelimit
from huzhu.accounts.models import EnrolmentCode, User
from huzhu.accounts.roles import needs_second_factor
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.org.models import Unit

# Read from a slip of paper or over the phone: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31^12, about 59 bits
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
PASSWORD_LENGTH = 14


class AccountError(Exception):
    """A refused change, with a Chinese message for the page or the command line."""

    @property
    def message(self) -> str:
        return str(self.args[0])


class SecondFactorError(AccountError):
    pass


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once, as XXXX-XXXX-XXXX
    expires_at: datetime


def _audit(action: str, *, actor: Actor, user: User, request=None, **fields) -> None:
    record_event(
        action=action,
        actor=actor,
        target=user,
        request=request,
        unit_path=user.unit_path,
        summary=fields.pop("summary", user.username),
        **fields,
    )


# --- creating users, passwords ---------------------------------------------------------


def create_staff_user(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    unit: Unit,
    password: str,
    request=None,
) -> tuple[User, IssuedCode | None]:
    """The new user, and the enrolment code to hand over when the role needs a second
    factor. Raises ValidationError with field names (username, unit, password)."""
    user = User(
        username=username.strip(),
        display_name=display_name.strip(),
        role=role,
        unit=unit,
        must_change_password=True,
    )
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    issued = None
    with transaction.atomic():
        user.save()
        _audit(
            Action.USER_CREATE,
            actor=actor,
            user=user,
            request=request,
            summary=f"{user.username} {user.get_role_display()}",
        )
        if needs_second_factor(role):
            issued = issue_enrolment_code(actor=actor, user=user, request=request)
    return user, issued


def change_password(*, actor: User, password: str, request=None) -> None:
    """A staff user's own new password; ends the must-change state."""
    if actor.check_password(password):
        raise ValidationError({"new_password1": _("Choose a password different from the old one.")})
    try:
        validate_password(password, actor)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    actor.set_password(password)
    actor.must_change_password = False
    with transaction.atomic():
        actor.save(update_fields=["password", "must_change_password"])
        _audit(Action.PASSWORD_CHANGED, actor=actor, user=actor, request=request)


def reset_password(*, actor: Actor, user: User, request=None) -> str:
    """A temporary password to hand over; the user must change it at the next sign-in.
    Changing the password also ends the user's open sessions."""
    password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
    user.set_password(password)
    user.must_change_password = True
    with transaction.atomic():
        user.save(update_fields=["password", "must_change_password"])
        _audit(Action.USER_RESET_PASSWORD, actor=actor, user=user, request=request)
    return password


def disable_user(*, actor: Actor, user: User, request=None) -> None:
    """A disabled user cannot sign in, and open sessions stop working at the next request
    (Django's ModelBackend refuses inactive users)."""
    if actor is not None and actor.pk == user.pk:
        raise AccountError(_("You cannot disable your own account."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        _audit(Action.USER_DISABLE, actor=actor, user=user, request=request)
    user.is_active = False


def enable_user(*, actor: Actor, user: User, request=None) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        _audit(Action.USER_ENABLE, actor=actor, user=user, request=request)
    user.is_active = True


# --- lockout -------------------------------------------------------------------------


def unlock_user(*, actor: Actor, user: User, request=None, via: str = "") -> None:
    """Lift a lockout after repeated wrong passwords, at every address (SPEC S4)."""
    with transaction.atomic():
        axes_reset(username=user.username)
        _audit(
            Action.USER_UNLOCK,
            actor=actor,
            user=user,
            request=request,
            data={"via": via} if via else None,
        )


def unlock_address(*, actor: Actor, address: str, request=None, via: str = "") -> None:
    """Lift the lock on an address that tried too many usernames."""
    with transaction.atomic():
        axes_reset(ip=address)
        record_event(
            action=Action.ADDRESS_UNLOCK,
            actor=actor,
            request=request,
            summary=address,
            data={"address": address, **({"via": via} if via else {})},
        )


# --- second factor -------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return salted_hmac("huzhu.accounts.enrolment-code", code, algorithm="sha256").hexdigest()


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_enrolment_code(*, actor: Actor, user: User, request=None) -> IssuedCode:
    """A new enrolment code for `user`; earlier unused codes stop working."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    expires_at = now + timedelta(hours=settings.HUZHU_ENROLMENT_CODE_HOURS)
    with transaction.atomic():
        # The earlier code and the authenticator it started (not yet confirmed) go together.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        EnrolmentCode.objects.filter(user=user, used_at=None).delete()
        EnrolmentCode.objects.create(
            user=user, code_hash=_code_hash(code), created_at=now, expires_at=expires_at
        )
        _audit(Action.ENROLMENT_CODE_ISSUED, actor=actor, user=user, request=request)
    shown = "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))
    return IssuedCode(code=shown, expires_at=expires_at)


def reset_second_factor(*, actor: Actor, user: User, request=None, via: str = "") -> IssuedCode:
    """A lost phone: the old authenticator stops working, and the user enrols a new one
    at the next sign-in with the returned code."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _audit(
            Action.USER_RESET_SECOND_FACTOR,
            actor=actor,
            user=user,
            request=request,
            data={"via": via} if via else None,
        )
        return issue_enrolment_code(actor=actor, user=user, request=request)


def _second_factor_failed(*, user: User, request, step: str, reason: str) -> None:
    # Its own transaction: the refusal is raised right after and must not undo the row.
    with transaction.atomic():
        _audit(
            Action.SECOND_FACTOR_FAILED,
            actor=user,
            user=user,
            request=request,
            data={"step": step, "reason": reason},
        )


def _wait_message(seconds: int) -> str:
    return _("Too many wrong codes. Wait %(seconds)s seconds, then try again.") % {
        "seconds": seconds
    }


def redeem_enrolment_code(*, user: User, code: str, request=None) -> TOTPDevice:
    """Check the code the admin handed over and show the authenticator it enrols: a new,
    unconfirmed one whose key is shown only now, bound to the code. Redeeming the same code
    again (another session, the browser closed before the first authenticator code) shows
    that same authenticator; the code is spent when it is confirmed (verify_second_factor).
    Raises SecondFactorError."""
    verdict = ratelimit.hit(
        f"enrolment-code:{user.pk}",
        limit=settings.HUZHU_ENROLMENT_CODE_TRIES,
        window=settings.HUZHU_ENROLMENT_CODE_TRIES_WINDOW,
    )
    if not verdict.allowed:
        _second_factor_failed(user=user, request=request, step="enrolment_code", reason="throttled")
        raise SecondFactorError(_wait_message(verdict.retry_after))
    wanted = _code_hash(_normalize_code(code))
    now = timezone.now()
    candidates = EnrolmentCode.objects.filter(user=user, used_at=None, expires_at__gt=now)
    match = next((c for c in candidates if constant_time_compare(c.code_hash, wanted)), None)
    if match is None:
        _second_factor_failed(user=user, request=request, step="enrolment_code", reason="wrong")
        raise SecondFactorError(
            _(
                "The enrolment code is wrong, has expired or was already used. "
                "Ask the district union for a new one."
            )
        )
    with transaction.atomic():
        bound = TOTPDevice.objects.filter(enrolment_code=match, confirmed=False).first()
        if bound is not None:
            return bound
        fresh = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        # Conditional update: two sessions redeeming at once bind one authenticator.
        if EnrolmentCode.objects.filter(pk=match.pk, device=None).update(device=fresh):
            return fresh
        fresh.delete()
        return TOTPDevice.objects.get(enrolment_code=match)


def verify_second_factor(*, user: User, device: TOTPDevice, token: str, request=None) -> None:
    """Check an authenticator code; the first right one confirms a new authenticator and
    spends its enrolment code. One transaction holds the check, the confirmation and the
    audit row, with the authenticator's row locked: two sessions sending codes at once are
    checked one after the other, so the throttle counts both and a code is taken once.
    Every refused code is written to the audit log. Raises SecondFactorError."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        refusal = _check_token(user=user, device=locked, token=token, request=request)
        if refusal is None:
            _audit(Action.SECOND_FACTOR, actor=user, user=user, request=request)
    # The throttle's count of a wrong code is committed with the block above; the refusal's
    # row has its own transaction, and the error leaves after both.
    if refusal is not None:
        reason, message = refusal
        _second_factor_failed(user=user, request=request, step="token", reason=reason)
        raise SecondFactorError(message)
    device.confirmed = locked.confirmed


def _check_token(
    *, user: User, device: TOTPDevice, token: str, request=None
) -> tuple[str, str] | None:
    """None when the code is right (and a new authenticator now confirmed), else the
    refusal's reason and message. Runs inside verify_second_factor's transaction."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        until = (info or {}).get("locked_until")
        seconds = math.ceil((until - timezone.now()).total_seconds()) if until else 1
        return "throttled", _wait_message(max(1, seconds))
    if not device.verify_token(token.strip()):
        return "wrong", _("The code is wrong or has expired.")
    if device.confirmed:
        return None
    now = timezone.now()
    spent = EnrolmentCode.objects.filter(device=device, used_at=None, expires_at__gt=now).update(
        used_at=now
    )
    if not spent:
        return "code_spent", _(
            "The enrolment code has expired or was replaced by a new one. "
            "Ask the district union for a new one."
        )
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    _audit(Action.SECOND_FACTOR_ENROLLED, actor=user, user=user, request=request)
    return None
