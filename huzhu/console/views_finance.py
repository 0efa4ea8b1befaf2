"""The finance pages (SPEC D3–D7, §12 Finance): deduction batches — build one, download its
request file, upload the bank's result, see each item's outcome — and the refunds to make.

Finance and the district admin use them; the auditor reads them (every POST is refused,
and so is the request file, which holds full ID and card numbers); nobody else sees them.
Building and applying run as background jobs: a year's batch can hold a million items."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from huzhu.accounts import roles
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.console.access import require, staff_view
from huzhu.dates import scheme_today
from huzhu.errors import file_gone
from huzhu.files import rules as file_kinds
from huzhu.files.services import FileRefused, Stored, open_stored, store_upload
from huzhu.jobs import kinds
from huzhu.jobs.models import Job
from huzhu.jobs.services import JobAlreadyRunning
from huzhu.org.services import district
from huzhu.payments import jobs as payment_jobs
from huzhu.payments import selectors
from huzhu.payments.bankfile import PaymentFileError
from huzhu.payments.models import DeductionBatch, Outcome, Refund
from huzhu.payments.services import applied_result, mark_refund_made, request_content
from huzhu.policy.selectors import current_policies
from huzhu.uploads import record_rejected_upload, size_error
from huzhu.years import FIRST_YEAR, LAST_YEAR, scheme_year

PAGE_SIZE = 50
FINANCE_JOBS = (kinds.PAYMENTS_BUILD, kinds.PAYMENTS_APPLY)


def _limit() -> int:
    return settings.HUZHU_BANK_FILE_MAX_BYTES


class BuildForm(forms.Form):
    # Text, not IntegerField: "1e400" or thirty digits get the same sentence as "abc".
    year = forms.CharField(
        label=gettext_lazy("Scheme year"),
        widget=forms.NumberInput(attrs={"min": FIRST_YEAR, "max": LAST_YEAR}),
    )

    def clean_year(self) -> int:
        year = scheme_year(self.cleaned_data["year"])
        if year is None:
            raise forms.ValidationError(
                _("Enter a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if year not in current_policies():
            raise forms.ValidationError(
                _("There is no policy for %(year)s: no batch can be built for it.") % {"year": year}
            )
        return year


class ResultForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Result file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv"}),
    )


def _default_year() -> int:
    years = sorted(current_policies())
    today = scheme_today().year
    later = [y for y in years if y >= today]
    return later[0] if later else (years[-1] if years else today)


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_read_finance)
def batches(request):
    """The batches, newest first, a year at a time if asked; the build form (SPEC D3)."""
    form = BuildForm(initial={"year": _default_year()})
    if request.method == "POST":
        if not roles.can_do_finance(request.user.role):
            raise PermissionDenied
        form = BuildForm(request.POST)
        if form.is_valid():
            return _start_build(request, form.cleaned_data["year"])
    year = scheme_year(request.GET.get("year", ""))
    listed = selectors.batches(year=year)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "year": year,
        "years": selectors.batch_years(),
        "query": urlencode({"year": year}) if year else "",
        "form": form,
        "can_run": roles.can_do_finance(request.user.role),
    }
    return render(
        request, "console/finance/batches.html", context, status=400 if form.errors else 200
    )


def _start_build(request, year: int):
    try:
        job = payment_jobs.start_build(actor=request.user, year=year)
    except JobAlreadyRunning as running:
        # A double click, or a second tab: the build already under way answers.
        messages.info(
            request,
            _("Your batch build is already under way: here it is. Nothing was started twice."),
        )
        return redirect("console:job", pk=running.job.pk)
    messages.success(
        request,
        _("The batch for %(year)s is being built in the background.") % {"year": year},
    )
    return redirect("console:job", pk=job.pk)


def _batch(batch_pk: int) -> DeductionBatch:
    return get_object_or_404(DeductionBatch.objects.select_related("created_by"), pk=batch_pk)


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_read_finance)
def batch(request, batch_pk: int):
    """One batch: its figures, each item's outcome, the request file and the result upload
    (SPEC D4, D5)."""
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
    outcome = outcome if outcome in Outcome.values else ""
    items = selectors.batch_items(batch=found, outcome=outcome)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "batch": found,
        "figures": selectors.batch_figures(found),
        "page": page,
        "outcome": outcome,
        "outcomes": Outcome.choices,
        "query": urlencode({"outcome": outcome}) if outcome else "",
        "uploads": selectors.result_uploads(found)[:10],
        "form": form,
        "can_run": roles.can_do_finance(request.user.role),
    }
    return render(
        request, "console/finance/batch.html", context, status=400 if form.errors else 200
    )


def refuse_upload(request, form: forms.Form, *problems: str, purpose: str) -> None:
    """A bank result file refused before it is read: the reasons on the form, and the
    attempt recorded (SPEC S3)."""
    sent = form.cleaned_data["file"]
    record_rejected_upload(
        actor=request.user,
        kind=purpose,
        name=sent.name,
        size=sent.size,
        reasons=list(problems),
        request=request,
    )
    for problem in problems:
        form.add_error("file", problem)


def store_result_upload(request, form: forms.Form, *, purpose: str) -> Stored | None:
    """Keep a bank result file handed in on a finance page (its size and kind checked, the
    upload audited); None when the form shows why not."""
    sent = form.cleaned_data["file"]
    too_large = size_error(sent.size, _limit())
    if too_large:
        refuse_upload(request, form, too_large, purpose=purpose)
        return None
    try:
        return store_upload(
            actor=request.user,
            source=sent,
            name=sent.name,
            unit_path=district().path,
            allowed=frozenset({file_kinds.CSV.code}),
            purpose=purpose,
            request=request,
            limit=_limit(),
        )
    except FileRefused as exc:
        refuse_upload(request, form, exc.message, purpose=purpose)
        return None


def bank_file_response(content: bytes, filename: str) -> HttpResponse:
    """A bank file to download: GBK text, never kept by a browser or a proxy."""
    response = HttpResponse(content, content_type="text/plain; charset=gbk")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _upload_result(request, found: DeductionBatch, form: ResultForm):
    """Keep the result file and start its application; None when the form shows why not."""
    stored = store_result_upload(request, form, purpose="deduction_result")
    if stored is None:
        return None
    earlier = applied_result(stored.file.sha256)
    if earlier is not None:
        # SPEC D5: the same file again changes nothing, and the page says so at once.
        messages.info(
            request,
            _("This result file was already applied to batch %(number)s. Nothing was changed.")
            % {"number": earlier.batch.number},
        )
        return redirect("console:finance_batch", batch_pk=earlier.batch.pk)
    with open_stored(stored.file) as handle:
        head = handle.read(64 * 1024)
    problem = payment_jobs.precheck(head, found)
    if problem:
        refuse_upload(request, form, problem, purpose="deduction_result")
        return None
    try:
        job = payment_jobs.start_apply(actor=request.user, batch=found, stored=stored.file)
    except JobAlreadyRunning as running:
        messages.info(
            request,
            _(
                "Your earlier result file is still being applied: here it is. Nothing was "
                "started twice."
            ),
        )
        return redirect("console:job", pk=running.job.pk)
    messages.success(
        request,
        _("%(name)s was uploaded and is being applied to batch %(number)s.")
        % {"name": stored.file.original_name, "number": found.number},
    )
    return redirect("console:job", pk=job.pk)


@never_cache
@require_GET
@staff_view
@require(roles.can_do_finance)
def request_file(request, batch_pk: int):
    """The request file as sent to the bank: every item's full ID and card numbers, so a
    full view of them, audited as one (SPEC S2, S3)."""
    found = _batch(batch_pk)
    if found.request_file is None:
        raise Http404
    try:
        content = request_content(found)
    except FileNotFoundError:
        return file_gone(request)
    record_event(
        action=Action.DEDUCTION_REQUEST_DOWNLOAD,
        actor=request.user,
        request=request,
        target=found,
        unit_path=district().path,
        summary=_("Request file of batch %(number)s: %(n)s items with full ID and card numbers")
        % {"number": found.number, "n": found.item_count},
        data={"batch": found.number, "items": found.item_count, "sha256": found.request_sha256},
    )
    return bank_file_response(content, f"deduction-{found.number}.txt")


@require_GET
@staff_view
@require(roles.can_read_finance)
def refunds(request):
    """SPEC D7: the refunds to make, oldest first, and those made, newest first."""
    open_page = Paginator(selectors.refunds_open(), PAGE_SIZE).get_page(request.GET.get("page"))
    made_page = Paginator(selectors.refunds_made(), PAGE_SIZE).get_page(request.GET.get("made"))
    context = {
        "page": open_page,
        "made": made_page,
        "query": urlencode({"made": made_page.number}),
        "can_run": roles.can_do_finance(request.user.role),
    }
    return render(request, "console/finance/refunds.html", context)


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_do_finance)
def refund_made(request, refund_pk: int):
    """Confirm, then record, that a refund was paid back (SPEC D7). A second POST (a double
    click, the back button) changes nothing and says so."""
    refund = get_object_or_404(Refund.objects.select_related("enrollment__member"), pk=refund_pk)
    if request.method == "POST":
        try:
            mark_refund_made(refund_id=refund.pk, actor=request.user)
        except PaymentFileError as exc:
            messages.info(request, exc.message)
        else:
            messages.success(
                request,
                _("The refund of %(amount)s yuan to %(name)s is recorded as made.")
                % {"amount": refund.amount, "name": refund.enrollment.member.name},
            )
        return redirect("console:finance_refunds")
    return render(request, "console/finance/refund_made.html", {"refund": refund})


def job_follow_link(job: Job) -> dict | None:
    """Where the job page sends the person once a build or a result upload has ended."""
    if job.kind not in FINANCE_JOBS or not job.finished:
        return None
    found = selectors.batch_of_job(job)
    if found is None:
        return {"url": reverse("console:finance_batches"), "label": _("See the deduction batches")}
    return {
        "url": reverse("console:finance_batch", kwargs={"batch_pk": found.pk}),
        "label": _("See batch %(number)s") % {"number": found.number},
    }
