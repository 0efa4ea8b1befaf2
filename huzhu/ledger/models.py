"""The fund ledger (SPEC D9): what came into the fund and what went out, as entries that
are never edited. A mistake is put right by a new entry that names the one it corrects.

Amounts are signed from the fund's side: fee income and recoveries are positive, refunds
and benefit payouts negative, so the fund's balance is the sum of the amounts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    FEE_INCOME = "fee_income", _("fee income")
    REFUND = "refund", _("refund")
    PAYOUT = "payout", _("benefit payout")
    RECOVERY = "recovery", _("recovery")


class LedgerEntryEdited(Exception):
    """A ledger entry is never edited nor deleted; write a correcting entry instead."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerEntryEdited("ledger entries are never edited")

    def delete(self):
        raise LedgerEntryEdited("ledger entries are never deleted")


class LedgerEntry(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # How many payments the entry sums (a batch's debits are one entry).
    count = models.PositiveIntegerField(default=1)
    year = models.PositiveSmallIntegerField(_("scheme year"))
    booked_on = models.DateField(_("booked on"))
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=150, blank=True)
    reference = models.CharField(_("reference"), max_length=80)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    deduction_batch = models.ForeignKey(
        "payments.DeductionBatch", null=True, on_delete=models.PROTECT, related_name="+"
    )
    self_payment = models.ForeignKey(
        "payments.SelfPayment", null=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        "payments.Refund", null=True, on_delete=models.PROTECT, related_name="+"
    )
    payout_batch = models.ForeignKey(
        "claims.PayoutBatch", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recovery_payment = models.ForeignKey(
        "claims.RecoveryPayment", null=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", null=True, on_delete=models.PROTECT, related_name="corrections"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        ordering = ["booked_on", "id"]
        indexes = [models.Index(fields=["booked_on", "kind"], name="ledger_day_kind")]
        constraints = [
            # Posting is idempotent: one original entry per source; corrections are extra.
            models.UniqueConstraint(
                fields=["deduction_batch"],
                condition=Q(deduction_batch__isnull=False, corrects__isnull=True),
                name="ledger_one_entry_per_batch",
            ),
            models.UniqueConstraint(
                fields=["self_payment"],
                condition=Q(self_payment__isnull=False, corrects__isnull=True),
                name="ledger_one_entry_per_self_payment",
            ),
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(refund__isnull=False, corrects__isnull=True),
                name="ledger_one_entry_per_refund",
            ),
            models.UniqueConstraint(
                fields=["payout_batch"],
                condition=Q(payout_batch__isnull=False, corrects__isnull=True),
                name="ledger_one_entry_per_payout_batch",
            ),
            models.UniqueConstraint(
                fields=["recovery_payment"],
                condition=Q(recovery_payment__isnull=False, corrects__isnull=True),
                name="ledger_one_entry_per_recovery_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.kind} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerEntryEdited("ledger entries are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerEntryEdited("ledger entries are never deleted")
