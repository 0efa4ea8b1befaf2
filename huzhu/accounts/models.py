from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huzhu.accounts.roles import ROLE_UNIT_KINDS, Role


class User(AbstractUser):
    """A staff user: always attached to one unit and one role (SPEC S1)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("unit"),
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # Set for a new user and after an admin resets the password: the console asks for a
    # new password before anything else.
    must_change_password = models.BooleanField(default=False)

    class Meta:
        # What the audit page calls the object of a row about an account.
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def clean(self) -> None:
        super().clean()
        if (
            self.unit is not None
            and self.role
            and (self.unit.kind not in ROLE_UNIT_KINDS[Role(self.role)])
        ):
            raise ValidationError(
                {"unit": _("This role cannot be attached to a unit of this kind.")}
            )

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def unit_path(self) -> str:
        return self.unit.path if self.unit is not None else ""


class EnrolmentCode(models.Model):
    """A one-time code the district admin hands to a user, needed to enrol an authenticator:
    the password alone must not be enough to take over a second factor (SPEC S4).

    Only a keyed hash is stored; a code expires. Redeeming it binds the pending (unconfirmed)
    authenticator to it, so redeeming it again shows that same authenticator; it is spent
    (`used_at`) when the authenticator is confirmed with its first code."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.OneToOneField(
        "otp_totp.TOTPDevice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolment_code",
    )

    class Meta:
        indexes = [
            # "this user's unused codes", read at each enrolment attempt.
            models.Index(fields=["user", "used_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
