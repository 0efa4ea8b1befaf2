"""Writes to roster uploads. Each part of the rosters work keeps its functions in its own
block below."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from huzhu.accounts.models import User
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.files import rules as file_rules
from huzhu.files.models import StoredFile
from huzhu.files.services import store_generated, store_upload
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import start_job
from huzhu.members import crypto
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


# --- console upload (SPEC E6, X1–X7): check in the background, then confirm ----------------


def seal_password(password: str | None) -> str:
    """A workbook's password as a job keeps it while it runs: encrypted with the field key
    (huzhu.jobs wipes it when the job ends). Empty when there is none."""
    return crypto.encrypt(password) if password else ""


def start_check(
    *,
    actor: User,
    unit: Unit,
    year: int,
    kind: str,
    signed_on: datetime.date,
    stored: StoredFile,
    password: str | None,
) -> RosterUpload:
    """A roster handed in from the console: the upload, awaiting its organizing unit's
    approval (E6), and the background check (a dry run) that will say what it would do.
    Raises JobAlreadyRunning, with nothing recorded, while the person's previous check runs."""
    with transaction.atomic():
        upload = RosterUpload.objects.create(
            year=year,
            kind=kind,
            unit=unit,
            unit_path=unit.path,
            file=stored,
            signed_on=signed_on,
            source=Source.CONSOLE,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
            status=ImportStatus.CHECKING,
            review=Review.AWAITING,
        )
        upload.job = start_job(
            actor=actor,
            kind=kinds.ROSTERS_CHECK,
            input_file=stored,
            secret=seal_password(password),
        )
        upload.save(update_fields=["job"])
    return upload


def confirm_upload(*, actor: User, upload: RosterUpload, password: str | None) -> Job | None:
    """Start the import of a checked upload; None when it is not (or no longer) waiting for
    confirmation — a second click on 确认导入 starts nothing. An import whose job failed
    (nothing is written then) may be confirmed again. Raises JobAlreadyRunning, with the
    upload left as it was, while the person's other import runs."""
    waiting = Q(status=ImportStatus.CHECKED) | Q(
        status=ImportStatus.IMPORTING, job__status=JobStatus.FAILED
    )
    with transaction.atomic():
        # The claim is one conditional UPDATE: of two clicks at once, one gets the row.
        if not RosterUpload.objects.filter(waiting, pk=upload.pk).update(
            status=ImportStatus.IMPORTING, message=""
        ):
            return None
        job = start_job(
            actor=actor,
            kind=kinds.ROSTERS_IMPORT,
            input_file=upload.file,
            secret=seal_password(password),
        )
        RosterUpload.objects.filter(pk=upload.pk).update(job=job)
    return job


def cancel_upload(*, actor: User, upload: RosterUpload, request=None) -> bool:
    """The person does not import the checked file; it stays on record (E6). False when it
    was no longer waiting (imported meanwhile, or cancelled already)."""
    with transaction.atomic():
        if not RosterUpload.objects.filter(
            pk=upload.pk, status__in=[ImportStatus.CHECKING, ImportStatus.CHECKED]
        ).update(status=ImportStatus.CANCELLED):
            return False
        record_event(
            action=Action.ROSTER_CANCEL,
            actor=actor,
            request=request,
            target=upload,
            unit_path=upload.unit_path,
            summary=upload.file.original_name[:200],
            data={"year": upload.year, "kind": upload.kind},
        )
    return True
