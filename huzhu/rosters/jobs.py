"""The background work of a roster handed in from the console (SPEC E6, X1–X7): the check
(`rosters.check`, a dry run whose outcome the preview page shows) and, once the person
confirms, the import (`rosters.import`). Each reads the upload's file as it was stored,
with the workbook's password the job holds (encrypted) while it runs. The rejected rows
go into the job's rows (huzhu.jobs.models.JobRow) and the errors workbook (X4) into the
file store, in the upload's scope."""

import logging
from pathlib import Path

from django.utils.translation import gettext as _

from huzhu.jobs.kinds import JobError, JobResult
from huzhu.jobs.models import Job
from huzhu.jobs.progress import Progress, RowLog
from huzhu.members import crypto
from huzhu.rosters.cli_import import errors_path
from huzhu.rosters.importer import RosterResult, import_roster
from huzhu.rosters.models import ImportStatus, RosterUpload
from huzhu.rosters.reader import RosterFileError
from huzhu.rosters.services import keep_errors_workbook, mark_unreadable

logger = logging.getLogger(__name__)


def _upload(job: Job) -> RosterUpload:
    return RosterUpload.objects.select_related("unit", "file").get(job=job)


def _content(upload: RosterUpload) -> bytes:
    from huzhu.files.services import open_stored

    try:
        with open_stored(upload.file) as stored:
            return stored.read()
    except FileNotFoundError:
        logger.error("roster upload %s: its file is missing from the store", upload.pk)
        raise JobError(_("The uploaded file is no longer on the server.")) from None


def _run(job: Job, progress: Progress, upload: RosterUpload, *, dry_run: bool) -> RosterResult:
    return import_roster(
        content=_content(upload),
        filename=upload.file.original_name,
        password=crypto.decrypt(job.secret) if job.secret else None,
        year=upload.year,
        kind=upload.kind,
        signed_on=upload.signed_on,
        unit=upload.unit,
        actor=job.started_by,
        dry_run=dry_run,
        upload=upload,
        progress=progress,
    )


def _keep(job: Job, upload: RosterUpload, result: RosterResult) -> RosterUpload:
    """The rejected rows, in the job's rows and as the errors workbook kept with the upload."""
    rows = RowLog(job)
    for rejected in result.rejected_rows:
        rows.add(rejected.row, ok=False, message="；".join(rejected.errors))
    rows.flush()
    if result.errors_workbook is None:
        # The check's workbook no longer says what the import did.
        RosterUpload.objects.filter(pk=upload.pk).update(errors_file=None)
        upload.errors_file = None
        return upload
    return keep_errors_workbook(
        upload=upload,
        content=result.errors_workbook,
        name=errors_path(Path(upload.file.original_name)).name,
        actor=job.started_by,
    )


def _outcome(result: RosterResult, *, checked: bool) -> JobResult:
    figures = {
        "imported": result.imported,
        "already": result.already_enrolled,
        "rejected": result.rejected,
    }
    text = (
        _(
            "Checked: %(imported)s to import, %(already)s already enrolled, %(rejected)s "
            "rejected. Nothing is imported until you confirm."
        )
        if checked
        else _("Imported: %(imported)s; already enrolled: %(already)s; rejected: %(rejected)s.")
    )
    return JobResult(
        outcome=text % figures,
        counts={
            "imported": result.imported,
            "already_enrolled": result.already_enrolled,
            "rejected": result.rejected,
        },
    )


def check_roster(*, job: Job, progress: Progress) -> JobResult:
    upload = _upload(job)
    try:
        result = _run(job, progress, upload, dry_run=True)
    except RosterFileError as exc:
        mark_unreadable(upload=upload, message=exc.message)
        raise JobError(
            _("%(name)s could not be read: %(reason)s Nothing was imported.")
            % {"name": upload.file.original_name, "reason": exc.message}
        ) from exc
    upload = _keep(job, upload, result)
    # Counts of what the import would do; a cancel meanwhile is left as it is.
    RosterUpload.objects.filter(pk=upload.pk, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED,
        imported=result.imported,
        already_enrolled=result.already_enrolled,
        rejected=result.rejected,
        message="",
    )
    outcome = _outcome(result, checked=True)
    outcome.error_file = upload.errors_file
    return outcome


def import_checked_roster(*, job: Job, progress: Progress) -> JobResult:
    upload = _upload(job)
    try:
        result = _run(job, progress, upload, dry_run=False)
    except RosterFileError as exc:
        # The file was read at the check: the password given on confirming is wrong. Nothing
        # was written; the upload waits for confirmation again.
        RosterUpload.objects.filter(pk=upload.pk, status=ImportStatus.IMPORTING).update(
            status=ImportStatus.CHECKED, message=exc.message[:500]
        )
        raise JobError(
            _("%(name)s could not be read: %(reason)s Nothing was imported.")
            % {"name": upload.file.original_name, "reason": exc.message}
        ) from exc
    upload = _keep(job, upload, result)
    outcome = _outcome(result, checked=False)
    outcome.error_file = upload.errors_file
    return outcome
