"""Bank notices as received (SPEC §7a): one row per notice_id, kept whatever the outcome."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", pgettext_lazy("bank notice", "refused")


class BankNotice(models.Model):
    """The first delivery of one bank notice. A repeated delivery of the same `notice_id`
    changes nothing and leaves no row (the unique constraint decides which delivery is the
    first). ID, phone and card numbers are kept only masked in `body_masked`; the whole body
    is kept encrypted (members.crypto) for follow-up."""

    notice_id = models.CharField(_("notice id"), max_length=100)
    type = models.CharField(_("notice type"), max_length=20)
    year = models.PositiveSmallIntegerField(_("scheme year"))
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    code = models.CharField(max_length=50, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    body_masked = models.JSONField(default=dict)
    body_encrypted = models.TextField(blank=True)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_notices",
    )

    class Meta:
        verbose_name = _("bank notice")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice_id"], name="bank_notice_once"),
        ]
        indexes = [models.Index(fields=["outcome", "received_at"], name="bank_notice_outcome")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.type} {self.outcome}"
