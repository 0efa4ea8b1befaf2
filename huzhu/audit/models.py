from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One row per change, export, upload, sign-in or full view of sensitive data (SPEC S3).

    Append-only: nothing in the code updates or deletes a row, database triggers (see the
    migrations) refuse UPDATE and DELETE everywhere, TRUNCATE on PostgreSQL and on SQLite an
    INSERT reusing an id (REPLACE), and in production the application's role may only
    SELECT and INSERT here (docs/deploy.md).
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff user"),
    )
    actor_member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
    )
    # Kept as text too, so the log still reads right if a name changes later.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # The unit the object belongs to, so an organizing unit can read its own subtree's log.
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The log page filtered by object: "what happened to this member".
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    @property
    def action_label(self) -> str:
        from huzhu.audit.actions import label

        return label(self.action)

    @property
    def object_label(self) -> str:
        """The object's kind in Chinese (the model's verbose name, translated); the stored
        `object_type` (`members.member`) stays as written."""
        from huzhu.audit.actions import object_type_label

        return object_type_label(self.object_type)
