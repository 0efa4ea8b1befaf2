from django.conf import settings
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

    LOCKOUT_FAILURES = settings.AXES_FAILURE_LIMIT

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
