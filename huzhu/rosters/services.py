"""Writes to roster uploads. Each part of the rosters work keeps its functions in its own
block below."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts import roles
from huzhu.accounts.models import User
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.dates import scheme_date, scheme_today
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Authorization, Enrollment, State
from huzhu.files import rules as file_rules
from huzhu.files.models import StoredFile
from huzhu.files.services import store_generated, store_upload
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import start_job
from huzhu.members import crypto
from huzhu.org.models import FormsRoute, Unit
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


# --- Review: approval, return and the collection of the paper forms (SPEC E6) --------------

RETURN_REASON_CHARS = 500


class ReviewRefused(Exception):
    """The step cannot be taken on this roster; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyDone(Exception):
    """The same step was taken already (a second click): nothing changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _locked(roster: RosterUpload) -> RosterUpload:
    return RosterUpload.objects.select_for_update().get(pk=roster.pk)


def _check_reviewable(roster: RosterUpload, *, step: str) -> None:
    """Only a finished import waiting for its organizing unit is approved or returned; a
    decision once taken is final (a returned roster is corrected by uploading it again)."""
    if roster.review == step:
        if step == Review.APPROVED:
            raise AlreadyDone(_("This roster has already been approved."))
        raise AlreadyDone(_("This roster has already been returned."))
    if roster.review == Review.APPROVED:
        raise ReviewRefused(_("This roster has been approved: it can no longer be returned."))
    if roster.review == Review.RETURNED:
        raise ReviewRefused(
            _("This roster was returned: it cannot be approved. The union uploads it again.")
        )
    if roster.status != ImportStatus.IMPORTED:
        raise ReviewRefused(
            _("Only a roster whose import has finished can be approved or returned.")
        )


def _summary(roster: RosterUpload) -> str:
    return f"{roster.year} {roster.unit or ''} {roster.file.original_name}"


def approve_roster(*, actor: User, roster: RosterUpload, request=None) -> RosterUpload:
    """SPEC E6: the organizing unit approves a grassroots union's roster; its paper
    authorizations go into deductions from now on (selectors.deductible_q)."""
    with transaction.atomic():
        roster = _locked(roster)
        _check_reviewable(roster, step=Review.APPROVED)
        roster.review = Review.APPROVED
        roster.reviewed_by = actor
        roster.reviewed_at = timezone.now()
        roster.save(update_fields=["review", "reviewed_by", "reviewed_at"])
        record_event(
            action=Action.ROSTER_APPROVE,
            actor=actor,
            target=roster,
            request=request,
            summary=_summary(roster),
            data={"year": roster.year, "imported": roster.imported},
        )
    return roster


def clean_return_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewRefused(_("Reason: say why the roster is returned."))
    if len(reason) > RETURN_REASON_CHARS:
        raise ReviewRefused(
            _("Reason: at most %(count)s characters.") % {"count": RETURN_REASON_CHARS}
        )
    return reason


def return_roster(*, actor: User, roster: RosterUpload, reason: str, request=None) -> RosterUpload:
    """SPEC E6: the organizing unit sends a roster back. The authorizations it created that
    are still active end today; an unpaid enrollment left without an active authorization
    is revoked ("汇总表退回：<reason>"), with its state change kept. A paid enrollment keeps
    its state (no refund here); a later corrected roster signs the revoked ones again."""
    reason = clean_return_reason(reason)
    today = scheme_today()
    why = _("Roster returned: %(reason)s") % {"reason": reason}
    with transaction.atomic():
        roster = _locked(roster)
        _check_reviewable(roster, step=Review.RETURNED)
        ending = list(
            Authorization.objects.select_for_update()
            .filter(roster=roster, active=True)
            .order_by("enrollment_id")
            .values_list("pk", "enrollment_id")
        )
        Authorization.objects.filter(pk__in=[pk for pk, _e in ending]).update(
            active=False, ended_on=today
        )
        revoked = 0
        enrollments = (
            Enrollment.objects.select_for_update()
            .filter(pk__in=[e for _pk, e in ending])
            .exclude(state__in=[State.PAID, State.REVOKED, State.LAPSED])
            .exclude(authorizations__active=True)
            .order_by("pk")
        )
        for enrollment in enrollments:
            enrollment_services._move(enrollment, State.REVOKED, actor, why)
            revoked += 1
        roster.review = Review.RETURNED
        roster.reviewed_by = actor
        roster.reviewed_at = timezone.now()
        roster.return_reason = reason
        roster.save(update_fields=["review", "reviewed_by", "reviewed_at", "return_reason"])
        record_event(
            action=Action.ROSTER_RETURN,
            actor=actor,
            target=roster,
            request=request,
            summary=_summary(roster),
            data={
                "year": roster.year,
                "reason": reason,
                "authorizations_ended": len(ending),
                "enrollments_revoked": revoked,
            },
        )
    return roster


def may_record_collection(*, user: User, roster: RosterUpload) -> bool:
    """Who records the paper forms of this roster (the notices): the service agency for an
    organizing unit on the agency route, the district admin for one on the district's."""
    needed = (
        roles.Role.AGENCY
        if forms_route_of(roster) == FormsRoute.AGENCY
        else roles.Role.DISTRICT_ADMIN
    )
    return user.role == needed


def forms_route_of(roster: RosterUpload) -> str:
    """The route of the roster's organizing unit; a roster of no union (a command-line
    import) goes to the district."""
    organizing = roster.unit.organizing_unit() if roster.unit is not None else None
    return organizing.paper_forms_route if organizing is not None else FormsRoute.DISTRICT


def record_collection(
    *, actor: User, roster: RosterUpload, collected_on: datetime.date, count: int, request=None
) -> RosterUpload:
    """E6: the paper forms of an approved roster were collected on `collected_on`, `count`
    of them, by `actor`. Recorded once: a second record is refused (the audit row keeps
    the first)."""
    if not may_record_collection(user=actor, roster=roster):
        if forms_route_of(roster) == FormsRoute.AGENCY:
            raise ReviewRefused(
                _("These paper forms go to the service agency, which records their collection.")
            )
        raise ReviewRefused(
            _(
                "These paper forms go to the district's rights protection department, "
                "which records their collection."
            )
        )
    if collected_on > scheme_today():
        raise ReviewRefused(_("Date collected: the date cannot be in the future."))
    if count < 1:
        raise ReviewRefused(_("Number of forms: enter a whole number of at least 1."))
    with transaction.atomic():
        roster = _locked(roster)
        if roster.collected_on is not None:
            if roster.collected_on == collected_on and roster.collected_count == count:
                raise AlreadyDone(_("This collection has already been recorded."))
            raise ReviewRefused(
                _("The collection of these forms was already recorded on %(day)s.")
                % {"day": roster.collected_on.isoformat()}
            )
        if roster.review != Review.APPROVED:
            raise ReviewRefused(_("Paper forms are recorded for an approved roster only."))
        if collected_on < scheme_date(roster.uploaded_at):
            raise ReviewRefused(
                _("Date collected: the date cannot be before the upload (%(day)s).")
                % {"day": scheme_date(roster.uploaded_at).isoformat()}
            )
        roster.collected_on = collected_on
        roster.collected_count = count
        roster.collected_by = actor
        roster.save(update_fields=["collected_on", "collected_count", "collected_by"])
        record_event(
            action=Action.ROSTER_COLLECT,
            actor=actor,
            target=roster,
            request=request,
            summary=_summary(roster),
            data={
                "collected_on": collected_on.isoformat(),
                "count": count,
                "imported": roster.imported,
            },
        )
    return roster


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
