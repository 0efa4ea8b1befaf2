"""Reading roster uploads."""

import datetime

from django.db.models import Q

from huzhu.accounts.access import get_in_scope_or_404
from huzhu.enrollment.models import Channel
from huzhu.jobs.models import JobRow
from huzhu.policy.selectors import current_policies
from huzhu.rosters.models import Review, RosterUpload


def deductible_q(prefix: str = "") -> Q:
    """Authorizations that may go into a deduction (SPEC E6): any not from a roster, and a
    roster's once its organizing unit approved it. `prefix` reaches the authorization from
    another model ("authorizations__")."""
    not_from_a_roster = Q(**{f"{prefix}roster__isnull": True})
    return not_from_a_roster | Q(**{f"{prefix}roster__review": Review.APPROVED})


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
