from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from huzhu.org.paths import Bytewise


class InsuranceScope(models.TextChoices):
    """SPEC M7: where the member's basic medical insurance is; it decides claim rules."""

    JIANGSU = "jiangsu", _("Jiangsu")
    OTHER_PROVINCE = "other_province", _("outside Jiangsu")


class Member(models.Model):
    """One record per resident ID number (SPEC M1).

    ID, phone and union card numbers are never stored in clear: `*_encrypted` holds the
    ciphertext (members/crypto.py: AES-GCM `g1.…`, or Fernet when written earlier),
    `*_hash` the keyed hash used for lookups and uniqueness, `*_masked` what lists show
    (SPEC S2).
    """

    name = models.CharField(_("name"), max_length=30)
    id_number_encrypted = models.TextField()
    id_number_hash = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18)
    phone_encrypted = models.TextField(blank=True)
    # Not unique: family members sometimes share one phone.
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("mobile phone"), max_length=11, blank=True)
    union_card_encrypted = models.TextField(blank=True)
    union_card_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    union_card_masked = models.CharField(_("union card"), max_length=19, blank=True)
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("grassroots union"),
    )
    # Copy of unit.path: scoping every member list to a subtree is one indexed prefix query.
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    employer_name = models.CharField(_("employer"), max_length=100, blank=True)
    has_basic_insurance = models.BooleanField(_("has basic medical insurance"), default=True)
    insurance_scope = models.CharField(
        _("insurance scope"),
        max_length=20,
        choices=InsuranceScope.choices,
        default=InsuranceScope.JIANGSU,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit_path", "name", "id"]
        indexes = [
            # The member list: a subtree of the union tree as a range of unit_path, read in
            # the order the list shows, from a keyset (members.selectors.member_page).
            models.Index(Bytewise(F("unit_path")), F("name"), F("id"), name="member_scope_list"),
            # Name search: a prefix of the name as a range, in name order, the scope checked
            # from the index itself (members.selectors.member_page with a name).
            models.Index(
                Bytewise(F("name")), F("id"), Bytewise(F("unit_path")), name="member_name_search"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"


class LoginCode(models.Model):
    """A one-time code sent to a member's phone (SPEC S4). Rows double as the rate-limit
    record, so limits hold across web processes without a shared cache."""

    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "codes sent to this phone in the last hour" and "the latest code for this phone".
            models.Index(fields=["phone_hash", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"


class ChangeKind(models.TextChoices):
    EDIT = "edit", _("details edited")
    MOVE = "move", _("moved to another grassroots union")


class MemberChange(models.Model):
    """One change of a member's record, as history (the record itself holds only the
    present). `changes` is a list of {"field", "old", "new"}: numbers only as masked,
    never in clear (SPEC S2)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    changes = models.JSONField(default=list)
    actor_user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    correction = models.ForeignKey(
        "members.CorrectionRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class CorrectionField(models.TextChoices):
    NAME = "name", _("Name")
    PHONE = "phone", _("Mobile phone")
    UNION_CARD = "union_card", _("Union card")
    EMPLOYER = "employer_name", _("Employer")
    INSURANCE = "insurance", _("Basic medical insurance")
    OTHER = "other", _("Other")


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("waiting for the union")
    CONFIRMED = "confirmed", _("corrected")
    REFUSED = "refused", _("refused")


class CorrectionRequest(models.Model):
    """A member asking, from the portal, for a correction of their record. The text is a
    description only: the union types the corrected value (members.services.update_member)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=20, choices=CorrectionField.choices)
    text = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "member"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.field} {self.status}"
