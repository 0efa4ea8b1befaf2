"""Enrollments (参保) and the authorizations (签约授权) behind them (SPEC E1–E5)."""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from huzhu.org.paths import Bytewise


class State(models.TextChoices):
    """SPEC E2."""

    AUTHORIZED = "authorized", _("signed, awaiting deduction")
    PAID = "paid", _("paid")
    FAILED = "failed", _("deduction failed")
    REVOKED = "revoked", _("revoked")
    LAPSED = "lapsed", _("lapsed")


class Channel(models.TextChoices):
    """SPEC §1 glossary; the same codes as the policy windows (policy.document.CHANNELS)."""

    ONLINE = "online", _("online signing in the bank app")
    PAPER = "paper", _("paper signing")
    RENEWAL = "renewal", _("renewal signing")


class Source(models.TextChoices):
    BANK_NOTICE = "bank_notice", _("bank notice")
    ROSTER = "roster", _("roster upload")
    CONSOLE = "console", _("staff console")
    PORTAL = "portal", _("member portal")


class Enrollment(models.Model):
    """One member in one scheme year (SPEC E1), with the units and employer as they were
    when the member signed: a later move of the member never rewrites a past year."""

    # No index of its own: `enrollment_one_per_year` (member, year) serves every lookup by
    # member, and one index fewer is one write fewer per state change (a deduction result
    # moves a million rows).
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("scheme year"))
    organizing_unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="organized_enrollments",
        verbose_name=_("organizing unit"),
    )
    # Null for an online signing that arrived without one: held under the organizing unit
    # until a union is assigned.
    grassroots_union = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="union_enrollments",
        verbose_name=_("grassroots union"),
    )
    employer_name = models.CharField(_("employer"), max_length=100, blank=True)
    # Path of the unit the enrollment is held under (the union, else the organizing unit):
    # scoping a list to a subtree is one indexed range (org.paths.starts_with).
    unit_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    insurance_scope = models.CharField(_("insurance scope"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        ordering = ["year", "unit_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="enrollment_one_per_year"),
        ]
        indexes = [
            # A year's enrollments of a subtree, in list order, from a keyset.
            models.Index(F("year"), Bytewise(F("unit_path")), F("id"), name="enrollment_scope"),
            # Paid counts per organizing unit and year (SPEC T3).
            models.Index(fields=["year", "state", "organizing_unit"], name="enrollment_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.state}"


class EnrollmentChange(models.Model):
    """One state change of an enrollment: who, when, why, from → to (SPEC E2)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="changes")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} → {self.to_state}"


class Authorization(models.Model):
    """One signing (签约授权, SPEC E3). Never edited once active, except to be ended or
    superseded by a later one; an enrollment has at most one active authorization."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="authorizations"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    signed_on = models.DateField(_("signed on"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    active = models.BooleanField(default=True)
    # The roster upload a paper or renewal signing came from (SPEC E6): it goes into
    # deductions once that upload is approved (rosters.selectors.deductible_q).
    roster = models.ForeignKey(
        "rosters.RosterUpload",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorizations",
    )
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("authorization")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(active=True),
                name="authorization_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.signed_on}"
