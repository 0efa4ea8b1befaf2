"""Roster uploads (参保职工汇总表, SPEC E6, X1–X9): each file a union hands in, who handed it in,
what became of its rows, and its way through approval and the collection of the paper forms."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from huzhu.org.paths import Bytewise


class RosterKind(models.TextChoices):
    NEW = "new", _("new members' roster")
    RENEWAL = "renewal", _("renewal roster")


class ImportStatus(models.TextChoices):
    """The file's import: checked (a dry run shown as a preview), then imported or not."""

    CHECKING = "checking", _("checking")
    CHECKED = "checked", _("checked, awaiting confirmation")
    IMPORTING = "importing", _("importing")
    IMPORTED = "imported", _("imported")
    FAILED = "failed", _("could not be read")
    CANCELLED = "cancelled", _("cancelled")


class Review(models.TextChoices):
    """SPEC E6: the organizing unit checks a grassroots union's roster."""

    AWAITING = "awaiting", _("awaiting approval")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned")


class Source(models.TextChoices):
    CONSOLE = "console", _("staff console")
    COMMAND = "command", _("command line")


class RosterUpload(models.Model):
    """One roster file handed in for one scheme year. Paper authorizations it created go
    into deductions only once the upload is approved (`review`); an import from the command
    line is the district operator's own act and is approved when it is made."""

    year = models.PositiveSmallIntegerField(_("scheme year"))
    kind = models.CharField(_("roster kind"), max_length=10, choices=RosterKind.choices)
    # The grassroots union that hands the roster in; None for a command-line import without
    # --unit (rows are then held under the organizing unit their 乡镇 names).
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who sees it (S1): `unit`'s path, so the union, its organizing unit (which approves it)
    # and the district; the district's path for a command-line import without --unit.
    unit_path = models.CharField(max_length=255, editable=False)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    signed_on = models.DateField(_("signed on"))
    source = models.CharField(max_length=10, choices=Source.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    status = models.CharField(_("import"), max_length=12, choices=ImportStatus.choices)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported = models.PositiveIntegerField(_("imported"), default=0)
    already_enrolled = models.PositiveIntegerField(_("already enrolled"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors_file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)  # why the file could not be read

    review = models.CharField(_("approval"), max_length=10, choices=Review.choices)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("reason"), max_length=500, blank=True)

    # E6: the paper forms handed on (to the service agency, or to the district's 权益保障部).
    collected_on = models.DateField(_("forms collected on"), null=True, blank=True)
    collected_count = models.PositiveIntegerField(_("forms collected"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(Bytewise(F("unit_path")), F("year"), F("id"), name="roster_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.file}"
