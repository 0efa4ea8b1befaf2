"""Writes to roster uploads. Each part of the rosters work keeps its functions in its own
block below."""

import datetime

from django.utils import timezone

from huzhu.accounts.types import Actor
from huzhu.files import rules as file_rules
from huzhu.files.services import store_generated, store_upload
from huzhu.org.models import Unit
from huzhu.org.services import district
from huzhu.rosters.models import ImportStatus, Review, RosterUpload, Source

# --- import (SPEC X1–X7, E6) ------------------------------------------------------------


def record_command_upload(
    *,
    content: bytes,
    name: str,
    year: int,
    kind: str,
    unit: Unit | None,
    signed_on: datetime.date,
) -> RosterUpload:
    """A roster imported from the command line: the file kept in the store (SPEC S5) and
    an upload approved at once, the district operator's own act (E6). Raises
    files.services.FileRefused when the file is not a workbook or CSV."""
    unit_path = unit.path if unit is not None else district().path
    stored = store_upload(
        actor=None,
        source=content,
        name=name,
        unit_path=unit_path,
        allowed=file_rules.WORKBOOKS,
        purpose="roster",
    )
    now = timezone.now()
    return RosterUpload.objects.create(
        year=year,
        kind=kind,
        unit=unit,
        unit_path=unit_path,
        file=stored.file,
        signed_on=signed_on,
        source=Source.COMMAND,
        uploaded_by=None,
        uploaded_at=now,
        status=ImportStatus.IMPORTING,
        review=Review.APPROVED,
        reviewed_at=now,
    )


def keep_errors_workbook(
    *, upload: RosterUpload, content: bytes, name: str, actor: Actor
) -> RosterUpload:
    """The X4 workbook of an import, kept with the upload so it can be downloaded again."""
    stored = store_generated(
        actor=actor, content=content, name=name, unit_path=upload.unit_path, kind=file_rules.XLSX
    )
    RosterUpload.objects.filter(pk=upload.pk).update(errors_file=stored.file)
    upload.errors_file = stored.file
    return upload


def mark_unreadable(*, upload: RosterUpload, message: str) -> None:
    RosterUpload.objects.filter(pk=upload.pk).update(
        status=ImportStatus.FAILED, message=message[:500]
    )
