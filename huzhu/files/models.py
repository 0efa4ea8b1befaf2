from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """A file kept in the file store (SPEC S5): an upload or a file the system wrote.

    The bytes live once per content under the data folder, named by their SHA-256
    (huzhu.files.store); this row says who may have them: the owning unit's subtree, like
    every other record (SPEC S1). The same content stored for two units is two rows sharing
    one file on disk, so neither unit learns that the other holds it."""

    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)
    original_name = models.CharField(_("file name"), max_length=255)
    unit_path = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        constraints = [
            # "Is this upload already here?": the same content twice in one scope is one row.
            models.UniqueConstraint(fields=["unit_path", "sha256"], name="files_unique_per_unit"),
        ]

    def __str__(self) -> str:
        return self.original_name
