from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One version of a scheme year's policy document (SPEC P1). Never updated: a changed
    file becomes a new version, so a decision that pinned a version keeps its rules."""

    year = models.PositiveSmallIntegerField(_("scheme year"))
    version = models.PositiveSmallIntegerField(_("version"))
    document = models.JSONField()
    sha256 = models.CharField(max_length=64)
    source_name = models.CharField(_("source file"), max_length=100)
    created_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="policy_one_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"
