"""Claims (补助申请, SPEC §9): what a member asks for, how it was reviewed and decided, the
documents behind it, the benefit ledger every "already paid" is read from, and the payout
batches and recovery cases that move the money."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huzhu.org.paths import Bytewise


class ClaimState(models.TextChoices):
    """SPEC C2, with the step of the second approval (C3) made visible."""

    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("in review")
    RETURNED = "returned", _("returned for more information")
    REJECTED = "rejected", _("rejected")
    NEEDS_SETTLEMENT = "needs_settlement", _("settle with medical insurance first")
    AWAITING_SECOND = "awaiting_second", _("awaiting second approval")
    APPROVED = "approved", _("approved, awaiting payout")
    PAID = "paid", pgettext_lazy("claim", "paid")
    RECOVERED = "recovered", _("recovered")


class Claim(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.PROTECT, related_name="claims"
    )
    year = models.PositiveSmallIntegerField(_("scheme year"))
    benefit = models.CharField(_("benefit"), max_length=20)
    state = models.CharField(_("state"), max_length=20, choices=ClaimState.choices)
    # The SPEC §10 case without `already_paid` (read from the benefit ledger when deciding);
    # the reviewer's exclusions are written into it (B-X1, B-X2).
    facts = models.JSONField()
    # The day of the event: the first stay's admission, the diagnosis, the injury.
    event_on = models.DateField(_("event date"))
    # Work injury: the day of the injury names the injury (B-W2, one payment per injury).
    injured_on = models.DateField(null=True, blank=True)
    # Where the claim is held (the enrollment's unit): queues and scope are one range.
    unit_path = models.CharField(max_length=255, editable=False)
    organizing_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # What the member was shown before submitting, and what was decided payable.
    estimate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    # A union clerk submitting for the member; None when the member submitted in the portal.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the claim was finally approved or rejected (approval times, statistics).
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Failed payouts up to this attempt no longer count toward the year's limit: finance put
    # the claim back for payment after the member's card was put right (payouts.release).
    payout_attempts_from = models.PositiveSmallIntegerField(default=0)
    # A rejected claim submitted again is a new claim naming the old one.
    resubmission_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resubmissions"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("claim")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # A queue: one state in a subtree, oldest first, from a keyset.
            models.Index(
                F("state"),
                Bytewise(F("unit_path")),
                F("submitted_at"),
                F("id"),
                name="claim_queue",
            ),
            models.Index(fields=["member", "year"], name="claim_member_year"),
            models.Index(fields=["year", "benefit", "state"], name="claim_statistics"),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} {self.benefit} {self.state}"


class ClaimStay(models.Model):
    """A hospital stay of a hospitalization claim, in the order of `facts["episodes"]`,
    with what the calculator does not need and the reviewer's signals do (C6)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="stays")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    index = models.PositiveSmallIntegerField()
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    hospital = models.CharField(_("hospital"), max_length=100, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)

    class Meta:
        ordering = ["claim", "index"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "index"], name="claim_stay_index"),
        ]
        indexes = [
            models.Index(fields=["member", "admitted_on"], name="claim_stay_member"),
            models.Index(
                fields=["invoice_number"],
                condition=~Q(invoice_number=""),
                name="claim_stay_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.index}"


class DocumentKind(models.TextChoices):
    """SPEC C1: the documents every claim needs, and those of each benefit."""

    ID_CARD = "id_card", _("ID card")
    UNION_CARD = "union_card", _("union card")
    INVOICE = "invoice", _("hospital invoice")
    SETTLEMENT = "settlement", _("medical insurance settlement sheet")
    DISCHARGE = "discharge", _("discharge summary")
    DIAGNOSIS = "diagnosis", _("diagnosis certificate")
    PATHOLOGY = "pathology", _("pathology or examination report")
    MEDICAL_RECORD = "medical_record", _("medical record")
    APPRAISAL = "appraisal", _("disability appraisal or death certificate")
    INJURY_DETERMINATION = "injury_determination", _("work-injury determination")
    OTHER = "other", _("other document")


class ClaimDocument(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=30, choices=DocumentKind.choices)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["claim", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind}"


class ClaimEvent(models.Model):
    """One change of a claim: who, when, why, from → to (SPEC C2). A change the member is
    told of (C5) is also the message the portal shows."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Words the member reads in the portal and the SMS; empty when the change is internal.
    message = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["claim", "at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.from_state}→{self.to_state}"


class ClaimDecision(models.Model):
    """A calculation a decision rested on (SPEC §14): the policy version, the whole §10
    case with the `already_paid` of that moment, and the answer with its explanation lines.
    Never changed: a later policy or a later claim does not rewrite it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="decisions")
    step = models.CharField(max_length=20)  # the ClaimState it led to, or "estimate"
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.JSONField()
    answer = models.JSONField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.step}"


class BenefitEntryKind(models.TextChoices):
    GRANT = "grant", _("granted")
    REVERSAL = "reversal", _("reversed")


class BenefitEntry(models.Model):
    """The per-member, per-year benefit ledger (SPEC §14, B-H4): what was granted for which
    claim and what was reversed. The only source of `already_paid`. Never edited."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    benefit = models.CharField(max_length=20)
    injured_on = models.DateField(null=True, blank=True)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="benefit_entries")
    kind = models.CharField(max_length=10, choices=BenefitEntryKind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)  # + granted, − reversed
    reason = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["member", "year", "benefit"], name="benefit_entry_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.benefit} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("benefit entries are never edited")
        super().save(*args, **kwargs)


class PayoutBatchState(models.TextChoices):
    BUILT = "built", _("sent to the bank")
    SETTLED = "settled", _("result applied")


class PayoutOutcome(models.TextChoices):
    PENDING = "pending", _("awaiting the bank")
    PAID = "paid", pgettext_lazy("claim", "paid")
    FAILED = "failed", _("payout failed")


class PayoutBatch(models.Model):
    """Approved claims paid to the members' union cards in one bank file (SPEC C4)."""

    number = models.CharField(_("batch number"), max_length=20, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=PayoutBatchState.choices, default=PayoutBatchState.BUILT
    )
    item_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    request_file = models.ForeignKey(
        "files.StoredFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    request_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PayoutItem(models.Model):
    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.PROTECT, related_name="items", db_index=False
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payouts")
    seq = models.PositiveIntegerField()
    # Sent to the card: the claim's amount less what it offsets of an open recovery.
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    offset = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    recovery = models.ForeignKey(
        "RecoveryCase", null=True, blank=True, on_delete=models.PROTECT, related_name="offsets"
    )
    outcome = models.CharField(
        max_length=10, choices=PayoutOutcome.choices, default=PayoutOutcome.PENDING
    )
    bank_code = models.CharField(max_length=10, blank=True)
    bank_message = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["batch", "seq"]
        constraints = [
            # No code path can pay one claim twice.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(outcome__in=["pending", "paid"]),
                name="payout_one_live_item",
            ),
            models.UniqueConstraint(fields=["batch", "seq"], name="payout_item_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.seq} {self.outcome}"


class PayoutFile(models.Model):
    """A payout result file applied, once per content (SPEC C4, D5, §14)."""

    sha256 = models.CharField(max_length=64, unique=True)
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="files")
    received_at = models.DateTimeField()
    file = models.ForeignKey(
        "files.StoredFile", null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.sha256[:12]


class RefusedPayoutFile(models.Model):
    """A payout result file refused whole, with every problem found (SPEC D5, §14)."""

    sha256 = models.CharField(max_length=64, unique=True)
    batch_number = models.CharField(_("batch number"), max_length=100, blank=True)
    batch = models.ForeignKey(
        PayoutBatch, null=True, on_delete=models.PROTECT, related_name="refused_files"
    )
    received_at = models.DateTimeField()
    errors = models.JSONField(default=list)
    more = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"refused {self.sha256[:12]}"


class RecoveryMethod(models.TextChoices):
    OFFSET = "offset", _("offset against a later benefit")
    REPAYMENT = "repayment", _("repayment by the member")


class RecoveryState(models.TextChoices):
    OPEN = "open", _("open")
    RECOVERED = "recovered", _("recovered")


class RecoveryCase(models.Model):
    """Money paid for an event found excluded after payment (SPEC B-X3, §14): a case with
    a required reason and a method, and its own ledger entries, not an edit of the claim."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recoveries")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(_("amount to recover"), max_digits=10, decimal_places=2)
    recovered = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    reason = models.CharField(_("reason"), max_length=500)
    method = models.CharField(_("method"), max_length=10, choices=RecoveryMethod.choices)
    state = models.CharField(
        max_length=10, choices=RecoveryState.choices, default=RecoveryState.OPEN
    )
    unit_path = models.CharField(max_length=255, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery case")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"recovery {self.pk} {self.amount}"


class RecoveryPayment(models.Model):
    """Money recovered for a case: repaid by the member, or kept back from a later payout
    (`payout_item`). Each is one fund-ledger entry."""

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    payout_item = models.OneToOneField(
        PayoutItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount}"
