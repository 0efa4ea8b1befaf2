"""Handing in a roster from the console (SPEC E6, X1–X7): the upload form, the background
check, the preview of what the import would do, and its confirmation (or cancellation).
Both the check and the import run as background jobs; the job page follows them."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.dates import scheme_today
from huzhu.files import rules as file_kinds
from huzhu.files.services import FileRefused, store_upload
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import JobAlreadyRunning
from huzhu.org import selectors as org_selectors
from huzhu.org.models import Unit
from huzhu.rosters import selectors, services
from huzhu.rosters.models import ImportStatus, RosterKind
from huzhu.uploads import record_rejected_upload, size_error

ROSTER_JOBS = (kinds.ROSTERS_CHECK, kinds.ROSTERS_IMPORT)


class RosterUploadForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Grassroots union"), queryset=Unit.objects.none()
    )
    year = forms.TypedChoiceField(label=gettext_lazy("Scheme year"), coerce=int)
    kind = forms.ChoiceField(
        label=gettext_lazy("Roster kind"), choices=RosterKind.choices, widget=forms.RadioSelect
    )
    signed_on = forms.DateField(
        label=gettext_lazy("Forms signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Workbook password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Only for an encrypted workbook. It opens the file and is not kept."
        ),
    )

    def __init__(self, *args, units, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        if len(units) == 1:  # a grassroots clerk: their own union
            field.empty_label = None
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [(y, str(y)) for y in years]

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > scheme_today():
            raise forms.ValidationError(
                _("The date the forms were signed cannot be later than today.")
            )
        return day


def _unit_in_scope_or_404(request, units) -> None:
    """A grassroots union outside the user's scope is answered as missing (S1)."""
    posted = (request.POST.get("unit") or "").strip()
    if posted.isascii() and posted.isdigit() and not any(u.pk == int(posted) for u in units):
        raise Http404


def _refuse(request, form, name: str, size: int, message: str):
    record_rejected_upload(
        actor=request.user, kind="roster", name=name, size=size, reasons=[message], request=request
    )
    form.add_error("file", message)


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_upload_rosters)
def roster_upload(request):
    units = list(org_selectors.member_units(user=request.user))
    today = scheme_today()
    years, default_year = selectors.upload_years(today=today)
    if request.method == "POST":
        _unit_in_scope_or_404(request, units)
    initial = {"year": default_year, "signed_on": today, "kind": RosterKind.NEW}
    if len(units) == 1:
        initial["unit"] = units[0].pk
    posted = None
    if request.method == "POST":
        posted = request.POST.copy()
        if len(units) == 1 and not posted.get("unit"):
            posted["unit"] = str(units[0].pk)  # a grassroots clerk hands in for their union
    form = RosterUploadForm(
        posted,
        request.FILES or None,
        units=org_selectors.member_units(user=request.user),
        years=years,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        sent = cleaned["file"]
        name, size = sent.name, sent.size
        too_large = size_error(size)
        if too_large:
            _refuse(request, form, name, size, too_large)
        else:
            try:
                stored = store_upload(
                    actor=request.user,
                    source=sent,
                    name=name,
                    unit_path=cleaned["unit"].path,
                    allowed=file_kinds.WORKBOOKS,
                    purpose="roster",
                    request=request,
                )
            except FileRefused as exc:
                _refuse(request, form, name, size, exc.message)
            else:
                try:
                    upload = services.start_check(
                        actor=request.user,
                        unit=cleaned["unit"],
                        year=cleaned["year"],
                        kind=cleaned["kind"],
                        signed_on=cleaned["signed_on"],
                        stored=stored.file,
                        password=cleaned["password"] or None,
                    )
                except JobAlreadyRunning as running:
                    messages.info(
                        request,
                        _(
                            "Your previous roster is still being checked: here it is. Upload "
                            "the next one once it ends."
                        ),
                    )
                    return redirect("console:job", pk=running.job.pk)
                messages.success(
                    request,
                    _("%(name)s was uploaded and is being checked; nothing is imported yet.")
                    % {"name": stored.file.original_name},
                )
                assert upload.job is not None
                return redirect("console:job", pk=upload.job.pk)
    status = 400 if form.errors else 200
    return render(
        request, "console/rosters/upload.html", {"form": form, "units": units}, status=status
    )


def _waits_for_confirmation(upload) -> bool:
    return upload.status == ImportStatus.CHECKED or (
        upload.status == ImportStatus.IMPORTING
        and upload.job is not None
        and upload.job.status == JobStatus.FAILED
    )


@require_GET
@staff_view
def roster_preview(request, pk: int):
    upload = selectors.upload_for(user=request.user, pk=pk)
    context = {
        "upload": upload,
        "rows": selectors.first_rejected_rows(upload=upload),
        "shown_rows": selectors.PREVIEW_ROWS,
        "can_decide": roles.can_upload_rosters(request.user.role),
        "waiting": _waits_for_confirmation(upload),
        # An OLE container: an encrypted .xlsx (or an old .xls, perhaps with a password).
        "may_need_password": upload.file.content_type == file_kinds.XLS.content_type,
    }
    return render(request, "console/rosters/preview.html", context)


@sensitive_post_parameters("password")
@require_POST
@staff_view
@require(roles.can_upload_rosters)
def roster_confirm(request, pk: int):
    upload = selectors.upload_for(user=request.user, pk=pk)
    try:
        job = services.confirm_upload(
            actor=request.user, upload=upload, password=request.POST.get("password") or None
        )
    except JobAlreadyRunning as running:
        messages.info(
            request,
            _(
                "Another roster of yours is being imported: here it is. Confirm this one once "
                "it ends."
            ),
        )
        return redirect("console:job", pk=running.job.pk)
    if job is None:
        upload.refresh_from_db()
        messages.info(
            request, _("This roster is not waiting for confirmation: nothing was started.")
        )
        if upload.status == ImportStatus.IMPORTING and upload.job_id is not None:
            return redirect("console:job", pk=upload.job_id)
        return redirect("console:roster_preview", pk=upload.pk)
    messages.success(request, _("The import has started."))
    return redirect("console:job", pk=job.pk)


@require_POST
@staff_view
@require(roles.can_upload_rosters)
def roster_cancel(request, pk: int):
    upload = selectors.upload_for(user=request.user, pk=pk)
    if services.cancel_upload(actor=request.user, upload=upload, request=request):
        messages.success(request, _("The roster was cancelled: nothing was imported."))
    else:
        messages.info(
            request, _("This roster is not waiting for confirmation: nothing was changed.")
        )
    return redirect("console:roster_preview", pk=upload.pk)


def job_follow_link(job: Job) -> dict | None:
    """Where the job page sends the person once a roster's check or import has ended."""
    if job.kind not in ROSTER_JOBS or not job.finished:
        return None
    pk = selectors.upload_of_job(job)
    if pk is None:
        return None
    label = (
        _("See the check and confirm the import")
        if job.kind == kinds.ROSTERS_CHECK
        else _("See the imported roster")
    )
    return {"url": reverse("console:roster_preview", args=[pk]), "label": label}
