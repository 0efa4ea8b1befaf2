"""Collective deduction (SPEC D3–D6): batches, their items, and the bank files received."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BatchState(models.TextChoices):
    BUILT = "built", _("sent to the bank")
    SETTLED = "settled", _("result applied")


class Outcome(models.TextChoices):
    PENDING = "pending", _("awaiting the bank")
    DEBITED = "debited", _("debited")
    FAILED = "failed", _("deduction failed")


# An item that has taken or may still take money (SPEC §14: at most one per enrollment).
LIVE = (Outcome.PENDING, Outcome.DEBITED)


class DeductionBatch(models.Model):
    number = models.CharField(_("batch number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("scheme year"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.BUILT)
    item_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    request_file = models.ForeignKey(
        "files.StoredFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    request_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("deduction batch")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class DeductionItem(models.Model):
    # No index of its own: `deduction_item_seq` (batch, seq) serves every lookup by batch.
    batch = models.ForeignKey(
        DeductionBatch, on_delete=models.PROTECT, related_name="items", db_index=False
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.PROTECT, related_name="deductions"
    )
    seq = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    bank_code = models.CharField(max_length=10, blank=True)
    bank_message = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveSmallIntegerField()
    # When the member was sent the failure's SMS (SPEC D8): set before sending, so a
    # notice goes out at most once whatever reruns (huzhu.payments.feedback).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "seq"]
        constraints = [
            # SPEC §14: no code path can put one enrollment in two live debits.
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(outcome__in=["pending", "debited"]),
                name="deduction_one_live_item",
            ),
            models.UniqueConstraint(fields=["batch", "seq"], name="deduction_item_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.seq} {self.outcome}"


class FileKind(models.TextChoices):
    REQUEST = "request", _("deduction request")
    RESULT = "result", _("deduction result")


class BankFileRecord(models.Model):
    """A bank file written or received, once per content (SPEC §14)."""

    kind = models.CharField(max_length=10, choices=FileKind.choices)
    sha256 = models.CharField(max_length=64, unique=True)
    batch = models.ForeignKey(DeductionBatch, on_delete=models.PROTECT, related_name="files")
    received_at = models.DateTimeField()
    # The file's bytes in the file store (a result file since it is kept; the request file
    # is also `DeductionBatch.request_file`), for reconciliation to read the bank's figures.
    file = models.ForeignKey(
        "files.StoredFile", null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"


class RefusedBankFile(models.Model):
    """A result file refused whole (SPEC D5), recorded once per content with every problem
    found (SPEC §14: lines that match nothing are listed with a reason, not dropped)."""

    sha256 = models.CharField(max_length=64, unique=True)
    batch_number = models.CharField(_("batch number"), max_length=100, blank=True)
    batch = models.ForeignKey(
        DeductionBatch, null=True, on_delete=models.PROTECT, related_name="refused_files"
    )
    received_at = models.DateTimeField()
    errors = models.JSONField(default=list)
    # Problems beyond the listed ones (the list stops at bankfile.MAX_ERRORS).
    more = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"refused {self.sha256[:12]}"


class SelfPayment(models.Model):
    """A member's own payment, told by the bank's `payment` notice (SPEC D2, §7a); the
    bank's transaction id is unique, so a transaction is applied once whatever the notice."""

    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.PROTECT, related_name="self_payments"
    )
    transaction_id = models.CharField(_("transaction id"), max_length=64, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    paid_at = models.DateTimeField()
    notice = models.ForeignKey(
        "bank.BankNotice", null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.transaction_id


class RefundSource(models.TextChoices):
    SELF_PAYMENT = "self_payment", _("self-payment")
    DEDUCTION = "deduction", _("deduction item")


class Refund(models.Model):
    """Money taken twice for one enrollment, to be paid back (SPEC D7)."""

    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=200)
    source = models.CharField(max_length=20, choices=RefundSource.choices)
    self_payment = models.ForeignKey(
        SelfPayment, null=True, on_delete=models.PROTECT, related_name="refunds"
    )
    deduction_item = models.ForeignKey(
        DeductionItem, null=True, on_delete=models.PROTECT, related_name="refunds"
    )
    created_at = models.DateTimeField()
    made_at = models.DateTimeField(null=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"refund {self.pk} {self.amount}"


class DeductionJob(models.Model):
    """What a background job of the finance pages is about (SPEC D3, D5): the year a build
    was asked for, and the batch it built or whose result file it applies. The job page
    links to the batch from here; the batch page lists its result uploads from here."""

    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="deduction")
    year = models.PositiveSmallIntegerField(null=True)
    batch = models.ForeignKey(
        DeductionBatch, null=True, on_delete=models.PROTECT, related_name="jobs"
    )

    def __str__(self) -> str:
        return f"deduction job {self.job_id}"
