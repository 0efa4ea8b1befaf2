"""Background jobs ("My jobs", a job's page and its progress fragment), the member-list
export that starts one, and the download of stored files (SPEC S5)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.console import views_finance
from huzhu.console.access import staff_view
from huzhu.console.views_rosters_import import job_follow_link
from huzhu.files.models import StoredFile
from huzhu.files.responses import stored_response
from huzhu.files.selectors import stored_file_for
from huzhu.jobs import kinds
from huzhu.jobs.models import Job
from huzhu.jobs.selectors import job_for, jobs_for
from huzhu.jobs.services import JobAlreadyRunning, fail_stalled_jobs, start_job
from huzhu.payments.selectors import is_request_file, is_result_upload


def _seen(request, pk: int) -> Job:
    """The job as it stands. One whose worker was killed is marked interrupted when
    someone looks at it (a read, and a write only in that case), so nobody watches a bar
    that can never move."""
    found = job_for(user=request.user, pk=pk)
    if found.stalled(timezone.now()) and fail_stalled_jobs():
        found = job_for(user=request.user, pk=pk)
    return found


def _job_context(request, pk: int) -> dict:
    found = _seen(request, pk)
    follow = job_follow_link(found) or views_finance.job_follow_link(found)
    return {"job": found, "follow": follow}


@require_GET
@staff_view
def jobs(request):
    listed = jobs_for(user=request.user)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    if any(shown.stalled(now) for shown in page) and fail_stalled_jobs():
        page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(request, "console/jobs.html", {"page": page, "query": ""})


@never_cache
@require_GET
@staff_view
def job(request, pk: int):
    return render(request, "console/job.html", _job_context(request, pk))


@never_cache
@require_GET
@staff_view
def job_progress(request, pk: int):
    """The fragment the job page polls. Once the job has ended it comes back without its
    polling trigger, which stops htmx asking again."""
    return render(request, "console/_job_progress.html", _job_context(request, pk))


@require_POST
@staff_view
def members_export(request):
    if not roles.can_export_members(request.user.role):
        raise PermissionDenied
    try:
        started = start_job(actor=request.user, kind=kinds.MEMBERS_EXPORT)
    except JobAlreadyRunning as running:
        messages.info(
            request,
            _("Your earlier export has not finished yet: here it is. Start another once it ends."),
        )
        started = running.job
    return redirect("console:job", pk=started.pk)


@never_cache
@require_GET
@staff_view
def stored_file(request, pk: int):
    """A stored file, to those whose scope holds its owning unit; 404 to everyone else.
    Always a download, never rendered by the browser."""
    stored = stored_file_for(user=request.user, pk=pk)
    if is_request_file(stored.pk):
        # Full ID and card numbers: only through the batch's page, audited as a full view.
        raise Http404
    if not roles.can_do_finance(request.user.role) and is_result_upload(stored.pk):
        # Full card numbers: the bank's files are finance's (SPEC S2).
        raise Http404
    return serve_stored(request, stored)


def serve_stored(request, stored: StoredFile, *, inline: bool = False):
    """Send a stored file the caller has found in the user's scope. `inline` only for the
    kinds a browser shows safely (a claim's photos and PDFs): everything else is a download."""
    return stored_response(request, stored, actor=request.user, inline=inline)
