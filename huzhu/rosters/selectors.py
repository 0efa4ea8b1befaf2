"""Reading roster uploads."""

import datetime
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404

from huzhu.accounts.access import get_in_scope_or_404, scoped
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment.models import Authorization, Channel, Enrollment, State
from huzhu.jobs.models import JobRow
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.org.models import Unit, UnitKind
from huzhu.org.paths import Bytewise, starts_with
from huzhu.policy.selectors import current_policies
from huzhu.rosters.models import ImportStatus, Review, RosterUpload


def deductible_q(prefix: str = "") -> Q:
    """Authorizations that may go into a deduction (SPEC E6): any not from a roster, and a
    roster's once its organizing unit approved it. `prefix` reaches the authorization from
    another model ("authorizations__")."""
    not_from_a_roster = Q(**{f"{prefix}roster__isnull": True})
    return not_from_a_roster | Q(**{f"{prefix}roster__review": Review.APPROVED})


# --- Roster export and authorization forms (SPEC X8, X9) ---

# An enrollment whose authorization was revoked, or whose year lapsed, is no longer on the
# union's roster.
OFF_THE_ROSTER = (State.REVOKED, State.LAPSED)


def roster_enrollments(*, unit: Unit, year: int) -> QuerySet[Enrollment]:
    """The enrollments of `year` held in `unit`'s subtree, with the units they were signed
    under, in the order of the `enrollment_scope` index (union by union)."""
    return (
        Enrollment.objects.filter(year=year)
        .filter(starts_with("unit_path", unit.path))
        .exclude(state__in=OFF_THE_ROSTER)
        .order_by(Bytewise(F("unit_path")), "id")
    )


def roster_units(*, user) -> QuerySet[Unit]:
    """The units a roster can be written or printed for: the district, organizing units and
    grassroots unions in the user's scope."""
    kinds = [UnitKind.DISTRICT, UnitKind.ORGANIZING, UnitKind.GRASSROOTS]
    return scoped(Unit.objects.filter(kind__in=kinds, active=True), user).order_by("path")


def roster_unit_for(*, user, pk: int) -> Unit:
    """One of `roster_units`, or 404 (another unit's, S1)."""
    found = roster_units(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def roster_unit_named(name: str) -> list[Unit]:
    """The active units a command line's --unit names (at most two: enough to tell that a
    name is ambiguous)."""
    kinds = [UnitKind.DISTRICT, UnitKind.ORGANIZING, UnitKind.GRASSROOTS]
    return list(Unit.objects.filter(name=name.strip(), kind__in=kinds, active=True)[:2])


def member_with_id_number(id_number: str) -> Member | None:
    """The member registered with this (cleaned) ID number, found by its keyed hash."""
    return (
        Member.objects.select_related("unit")
        .filter(id_number_hash=crypto.lookup_hash("id", id_number))
        .first()
    )


# --- Review: the uploads list, one upload, its authorizations and history (SPEC E6, S1) -----

REVIEW_ACTIONS = (Action.ROSTER_APPROVE, Action.ROSTER_RETURN, Action.ROSTER_COLLECT)
AUTHORIZATIONS_SHOWN = 200


@dataclass(frozen=True)
class RosterFilters:
    year: int | None = None
    status: str = ""
    review: str = ""


def rosters_for(*, user, filters: RosterFilters) -> QuerySet[RosterUpload]:
    """The uploads in the user's subtree (S1), newest first, with what the list shows
    fetched in the same query."""
    listed = scoped(RosterUpload.objects.all(), user, "unit_path").select_related(
        "unit", "uploaded_by", "file", "reviewed_by", "collected_by"
    )
    if filters.year is not None:
        listed = listed.filter(year=filters.year)
    if filters.status:
        listed = listed.filter(status=filters.status)
    if filters.review:
        listed = listed.filter(review=filters.review)
    return listed.order_by("-uploaded_at", "-id")


def awaiting_count(*, user) -> int:
    """Uploads in scope whose import finished and that wait for approval (待审核)."""
    return (
        scoped(RosterUpload.objects.all(), user, "unit_path")
        .filter(status=ImportStatus.IMPORTED, review=Review.AWAITING)
        .count()
    )


def roster_years(*, user) -> list[int]:
    return list(
        scoped(RosterUpload.objects.all(), user, "unit_path")
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def roster_for(*, user, pk: int) -> RosterUpload:
    """One upload in the user's subtree; 404 otherwise (S1)."""
    return get_in_scope_or_404(
        RosterUpload.objects.select_related(
            "unit", "uploaded_by", "file", "errors_file", "reviewed_by", "collected_by"
        ),
        user,
        "unit_path",
        pk=pk,
    )


def roster_authorizations(*, roster: RosterUpload) -> tuple[list[Authorization], int]:
    """The first authorizations the upload created (bounded) and how many there are."""
    created = Authorization.objects.filter(roster=roster)
    shown = list(created.select_related("enrollment__member").order_by("id")[:AUTHORIZATIONS_SHOWN])
    total = len(shown) if len(shown) < AUTHORIZATIONS_SHOWN else created.count()
    return shown, total


def roster_history(*, roster: RosterUpload) -> QuerySet[AuditEvent]:
    """Who approved, returned or recorded the collection of the upload, when and why: its
    rows of the audit log, oldest first."""
    return (
        AuditEvent.objects.filter(
            object_type=RosterUpload._meta.label_lower,
            object_id=str(roster.pk),
            action__in=REVIEW_ACTIONS,
        )
        .select_related("actor_user")
        .order_by("at", "id")
    )


# --- console upload (SPEC E6, X1–X7) ------------------------------------------------------

# Rejected rows the preview lists; all of them are in the errors workbook (X4).
PREVIEW_ROWS = 20


def upload_for(*, user, pk: int) -> RosterUpload:
    """An upload whose union is in the user's scope (S1); 404 otherwise."""
    return get_in_scope_or_404(
        RosterUpload.objects.select_related("unit", "file", "errors_file", "job", "uploaded_by"),
        user,
        "unit_path",
        pk=pk,
    )


def first_rejected_rows(*, upload: RosterUpload) -> list[JobRow]:
    """The first rejected rows of the upload's latest check or import, in sheet order."""
    if upload.job_id is None:
        return []
    return list(
        JobRow.objects.filter(job_id=upload.job_id, ok=False).order_by("number")[:PREVIEW_ROWS]
    )


def upload_years(*, today: datetime.date) -> tuple[list[int], int]:
    """The years a roster may be handed in for, and the one offered first: the year whose
    paper or renewal window is open today, else the next one to open (else next year)."""
    policies = current_policies()
    windows = {
        year: [
            window
            for channel, window in policy.windows.items()
            if channel in (Channel.PAPER, Channel.RENEWAL)
        ]
        for year, policy in policies.items()
    }
    open_now = [y for y, found in windows.items() if any(w.start <= today <= w.end for w in found)]
    upcoming = [y for y, found in windows.items() if any(w.start > today for w in found)]
    default = min(open_now or upcoming or [today.year + 1])
    return sorted({*policies, default}), default


def upload_of_job(job) -> int | None:
    """The upload a roster job checks or imports (its latest job), for the job page's link."""
    return RosterUpload.objects.filter(job=job).values_list("pk", flat=True).first()
