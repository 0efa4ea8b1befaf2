"""The roster written out (附件4, SPEC X8) and the authorization forms printed (附件3,
SPEC X9): forms in, a file out. Scope is the user's subtree (S1); both are audited (S3)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.console.forms import RosterExportForm, RosterFormsForm
from huzhu.dates import scheme_today
from huzhu.files.rules import XLSX
from huzhu.http import no_store
from huzhu.members import selectors as member_selectors
from huzhu.policy.selectors import current_policies
from huzhu.rosters import selectors
from huzhu.rosters.export import ExportError, export_roster
from huzhu.rosters.forms_pdf import forms_filename, unit_forms
from huzhu.rosters.forms_pdf import member_form as render_member_form
from huzhu.years import scheme_year, year_option_error

PDF = "application/pdf"
# Forms printed in one request: a PDF is built whole in the web worker's memory, and a
# district's 100,000 members would hold it for minutes. A bigger roster is printed union by
# union (or with `huzhu roster forms`).
MAX_PAGES = 2000


def _default_year() -> int:
    """The latest scheme year with a policy: the one being signed for."""
    return max(current_policies(), default=scheme_today().year)


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _check_unit_scope(request, data) -> None:
    """A unit outside the user's scope is answered as missing (S1), not as a bad choice."""
    raw = data.get("unit", "")
    # ASCII digits only: "²" passes str.isdigit() and int() refuses it.
    if raw.isascii() and raw.isdigit():
        selectors.roster_unit_for(user=request.user, pk=int(raw))


@require_http_methods(["GET", "POST"])
@no_store
@staff_view
@require(roles.can_export_members)
def roster_export(request):
    units = selectors.roster_units(user=request.user)
    if request.method == "POST":
        _check_unit_scope(request, request.POST)
        form = RosterExportForm(request.POST, units=units)
    else:
        form = RosterExportForm(
            units=units, initial={"year": _default_year(), "unit": request.user.unit_id}
        )
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = export_roster(
                actor=request.user,
                unit=data["unit"],
                year=data["year"],
                password=data["password"] or None,
                request=request,
            )
        except ExportError as exc:
            form.add_error(None, exc.message)
        else:
            return _download(result.content, result.filename, XLSX.content_type)
    return render(request, "console/rosters/export.html", {"form": form})


@require_GET
@no_store
@staff_view
@require(roles.can_export_members)
def roster_forms(request):
    units = selectors.roster_units(user=request.user)
    if "unit" in request.GET:
        _check_unit_scope(request, request.GET)
        form = RosterFormsForm(request.GET, units=units)
    else:
        form = RosterFormsForm(
            units=units, initial={"year": _default_year(), "unit": request.user.unit_id}
        )
    if form.is_valid():
        unit, year = form.cleaned_data["unit"], form.cleaned_data["year"]
        try:
            content, _pages = unit_forms(
                actor=request.user, unit=unit, year=year, request=request, limit=MAX_PAGES
            )
        except ExportError as exc:
            form.add_error(None, exc.message)
        else:
            return _download(content, forms_filename(unit.name, year), PDF)
    return render(request, "console/rosters/forms.html", {"form": form})


@require_GET
@no_store
@staff_view
@require(roles.can_export_members)
def member_form(request, pk: int):
    member = member_selectors.member_for(user=request.user, pk=pk)
    asked = request.GET.get("year", "").strip()
    year = scheme_year(asked) if asked else _default_year()
    if year is None:
        # Not printed for a year nobody asked for: back to the member page, the field named.
        messages.error(request, year_option_error(_("Scheme year")))
        return redirect("console:member", member.pk)
    content = render_member_form(actor=request.user, member=member, year=year, request=request)
    return _download(content, forms_filename(member.name, year), PDF)
