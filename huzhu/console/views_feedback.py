"""扣款反馈 (SPEC D8): a year's failed deductions in the user's scope, per grassroots union,
with the bank's reason and what happens next; its workbook; and the failure SMS job."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view, unit_filter
from huzhu.console.views_enrollment import _int, _years
from huzhu.jobs.services import JobAlreadyRunning
from huzhu.org.models import Unit
from huzhu.payments import feedback
from huzhu.payments.feedback_export import export_feedback
from huzhu.payments.feedback_job import start_failure_notices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request) -> tuple[int, Unit | None, str]:
    """Year (a year with a policy, else the latest), unit (in scope, else 404: SPEC S1)
    and kind (KINDS, else all)."""
    years = _years()
    year = _int(request.GET.get("year"))
    if year not in years:
        year = years[0]
    unit = unit_filter(request)
    kind = request.GET.get("kind", "")
    if kind not in feedback.KINDS:
        kind = ""
    return year, unit, kind


@require_GET
@staff_view
def deduction_feedback(request):
    year, unit, kind = _filters(request)
    counts = feedback.union_counts(user=request.user, year=year, unit=unit)
    page = feedback.feedback_page(
        user=request.user, year=year, unit=unit, kind=kind, after=_int(request.GET.get("after"))
    )
    query = urlencode({"year": year, "unit": unit.pk if unit else "", "kind": kind})
    choices = {c.organizing_unit_id: c.organizing_unit for c in counts}
    union_choices = [(c.union_id, c.union) for c in counts if c.union_id is not None]
    return render(
        request,
        "console/feedback/list.html",
        {
            "years": _years(),
            "year": year,
            "unit": unit,
            "kind": kind,
            "kinds": [
                ("", _("All")),
                (feedback.RETRY, feedback.next_label(feedback.RETRY)),
                (feedback.FOLLOW_UP, feedback.next_label(feedback.FOLLOW_UP)),
                ("no_card", _("No union card on record")),
            ],
            "organizing_choices": sorted(choices.items(), key=lambda c: c[1]),
            "union_choices": union_choices,
            "counts": counts,
            "totals": {
                "failed": sum(c.failed for c in counts),
                "retried": sum(c.retried for c in counts),
                "follow_up": sum(c.follow_up for c in counts),
                "no_card": sum(c.no_card for c in counts),
            },
            "page": page,
            "query": query,
            "can_send_notices": roles.can_do_finance(request.user.role),
        },
    )


@require_GET
@staff_view
def deduction_feedback_download(request):
    year, unit, kind = _filters(request)
    content, name = export_feedback(
        user=request.user, year=year, unit=unit, kind=kind, request=request
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_view
@require(roles.can_do_finance)
def deduction_failure_notices(request):
    try:
        job = start_failure_notices(actor=request.user)
    except JobAlreadyRunning as running:
        messages.info(request, _("The failure SMS job is already running."))
        job = running.job
    return redirect("console:job", pk=job.pk)
