"""The payout pages (SPEC C4, §12 Finance): payout batches of approved claims — build one,
download its request file, upload the bank's result, see each payout's outcome — the files
refused with every problem, and the claims whose payouts failed too often (需人工跟进).

Finance and the district admin use them; the auditor reads them (every POST is refused,
and so is the request file, which holds full ID and card numbers); nobody else sees them.
Building and applying run in the request (docs/decisions.md "Payout pages run in the
request"): a payout batch holds the claims approved since the last one, not a year's
enrollments."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huzhu.accounts import roles
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims import payout_selectors, payouts
from huzhu.claims.models import (
    PayoutBatch,
    PayoutBatchState,
    PayoutOutcome,
    RefusedPayoutFile,
)
from huzhu.claims.rules import ClaimError
from huzhu.console.access import require, staff_view
from huzhu.console.views_finance import (
    ResultForm,
    bank_file_response,
    refuse_upload,
    store_result_upload,
)
from huzhu.errors import file_gone
from huzhu.files.services import open_stored
from huzhu.org.services import district
from huzhu.payments import bankfile
from huzhu.payments import jobs as payment_jobs
from huzhu.payments.bankfile import PaymentFileError

PAGE_SIZE = 50
PURPOSE = "payout_result"


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_read_finance)
def batches(request):
    """The payout batches, newest first; the build button (SPEC C4)."""
    if request.method == "POST":
        if not roles.can_do_finance(request.user.role):
            raise PermissionDenied
        batch = payouts.create_payout_batch(actor=request.user)
        if batch is None:
            messages.info(request, _("No approved claim is waiting for a payout."))
            return redirect("console:finance_payouts")
        messages.success(
            request,
            _("Payout batch %(number)s was built: %(n)s payouts to the bank, %(total)s yuan.")
            % {
                "number": batch.number,
                "n": batch.item_count,
                "total": bankfile.money(batch.total),
            },
        )
        return redirect("console:finance_payout", batch_pk=batch.pk)
    page = Paginator(payout_selectors.payout_batches(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": "",
        "waiting": payouts.candidates().count(),
        "follow_up": payouts.follow_up().count(),
        "refused": RefusedPayoutFile.objects.filter(batch__isnull=True)[:10],
        "can_run": roles.can_do_finance(request.user.role),
    }
    return render(request, "console/finance/payouts.html", context)


def _batch(batch_pk: int) -> PayoutBatch:
    return get_object_or_404(PayoutBatch.objects.select_related("created_by"), pk=batch_pk)


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_read_finance)
def batch(request, batch_pk: int):
    """One payout batch: its figures, each payout's outcome, the request file, the result
    upload and the result files refused (SPEC C4, D5)."""
    found = _batch(batch_pk)
    form = ResultForm()
    if request.method == "POST":
        if not roles.can_do_finance(request.user.role):
            raise PermissionDenied
        form = ResultForm(request.POST, request.FILES)
        if form.is_valid():
            answered = _upload_result(request, found, form)
            if answered is not None:
                return answered
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in PayoutOutcome.values else ""
    items = payout_selectors.payout_items(batch=found, outcome=outcome)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "batch": found,
        "figures": payout_selectors.payout_figures(found),
        "page": page,
        "outcome": outcome,
        "outcomes": PayoutOutcome.choices,
        "query": urlencode({"outcome": outcome}) if outcome else "",
        "results": found.files.order_by("-received_at"),
        "refused": found.refused_files.all()[:10],
        "form": form,
        "can_run": roles.can_do_finance(request.user.role),
    }
    return render(
        request, "console/finance/payout.html", context, status=400 if form.errors else 200
    )


def _upload_result(request, found: PayoutBatch, form: ResultForm):
    """Keep the result file and apply it; None when the form shows why not."""
    stored = store_result_upload(request, form, purpose=PURPOSE)
    if stored is None:
        return None
    with open_stored(stored.file) as handle:
        content = handle.read()
    earlier = payouts.applied_payout_result(stored.file.sha256)
    problem = None if earlier is not None else payment_jobs.precheck(content[:65536], found)
    if problem:
        refuse_upload(request, form, problem, purpose=PURPOSE)
        return None
    try:
        applied = payouts.apply_payout_result(content=content, actor=request.user)
    except PaymentFileError as exc:
        for problem in exc.errors:
            form.add_error("file", problem)
        if exc.more:
            form.add_error("file", _("… and %(n)s more problems.") % {"n": exc.more})
        return None
    if applied.already:
        messages.info(
            request,
            _("This result file was already applied to batch %(number)s. Nothing was changed.")
            % {"number": applied.batch.number},
        )
    else:
        messages.success(
            request,
            _("Payout batch %(number)s: %(paid)s paid, %(failed)s failed.")
            % {"number": applied.batch.number, "paid": applied.paid, "failed": applied.failed},
        )
    return redirect("console:finance_payout", batch_pk=applied.batch.pk)


@never_cache
@require_GET
@staff_view
@require(roles.can_do_finance)
def request_file(request, batch_pk: int):
    """The request file as sent to the bank: every payee's full ID and card numbers, so a
    full view of them, audited as one (SPEC S2, S3)."""
    found = _batch(batch_pk)
    if found.request_file is None:
        raise Http404
    try:
        content = payouts.request_content(found)
    except FileNotFoundError:
        return file_gone(request)
    record_event(
        action=Action.PAYOUT_REQUEST_DOWNLOAD,
        actor=request.user,
        request=request,
        target=found,
        unit_path=district().path,
        summary=_(
            "Request file of payout batch %(number)s: %(n)s payouts with full ID and card numbers"
        )
        % {"number": found.number, "n": found.item_count},
        data={"batch": found.number, "items": found.item_count, "sha256": found.request_sha256},
    )
    return bank_file_response(content, f"payout-{found.number}.txt")


@require_GET
@staff_view
@require(roles.can_read_finance)
def follow_up(request):
    """Approved claims no payout batch takes any more (需人工跟进): failed as often as the
    policy allows, failed with a code not retried, or no union card on file."""
    page = Paginator(payouts.follow_up(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/finance/payout_follow_up.html",
        {
            "page": page,
            "query": "",
            "settled": PayoutBatchState.SETTLED,
            "can_run": roles.can_do_finance(request.user.role),
        },
    )


@require_POST
@staff_view
@require(roles.can_do_finance)
def release(request, claim_pk: int):
    """Put a followed-up claim back for payment once the member's card is right (SPEC C4)."""
    try:
        claim = payouts.release(
            claim_id=claim_pk,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ClaimError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Claim #%(pk)s goes into the next payout batch.") % {"pk": claim.pk},
        )
    return redirect("console:finance_payout_follow_up")
