"""Staff console pages: parse the request, call one selector or service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huzhu.accounts import roles
from huzhu.calcfront.pages import calculator_context
from huzhu.console import views_member_records, views_targets
from huzhu.console.access import require, staff_view
from huzhu.console.forms import MemberForm, UnitForm, add_errors
from huzhu.dates import scheme_today
from huzhu.enrollment import selectors as enrollment_selectors
from huzhu.http import no_store
from huzhu.members import selectors as member_selectors
from huzhu.members.services import (
    MemberError,
    MemberInput,
    RevealRefused,
    create_member,
    reveal_identity,
)
from huzhu.org import selectors as org_selectors
from huzhu.org.reports import report_workbook
from huzhu.org.services import UnitError, add_unit, record_targets_export
from huzhu.years import scheme_year


def _year(request, years: list[int]) -> int:
    """The year asked for, or the latest one with targets when it is not a scheme year."""
    year = scheme_year(request.GET.get("year", ""))
    if year is None:
        return years[0] if years else scheme_today().year
    return year


@require_GET
@staff_view
def dashboard(request):
    asked = scheme_year(request.GET["year"]) if "year" in request.GET else None
    if "year" in request.GET and asked is None:
        asked = _year(request, org_selectors.target_years())
    figures = org_selectors.dashboard(user=request.user, year=asked)
    context: dict[str, object] = {
        "years": figures.years,
        "year": figures.year,
        "rows": figures.rows,
        "total_target": figures.total_target,
        "total_completed": figures.total_completed,
        "total_rate": figures.total_rate,
        "member_count": member_selectors.member_count(user=request.user),
        "chart": _chart([r for r in figures.rows if r.target]),
        "breakdown": None,
        "trend": None,
    }
    if roles.can_assign_held(request.user.role):
        context["held_count"] = enrollment_selectors.held_count(user=request.user)
    if figures.year is not None:
        # An organizing unit's admin (or a clerk below one) sees its grassroots unions.
        context["trend"] = views_targets.trend_chart(
            org_selectors.weekly_trend(user=request.user, year=figures.year)
        )
        if len(figures.rows) == 1:
            context["breakdown"] = org_selectors.union_breakdown(
                user=request.user,
                year=figures.year,
                organizing=figures.rows[0].unit,
                target=figures.rows[0].target,
            )
    return render(request, "console/dashboard.html", context)


def _chart(rows) -> dict | None:
    """Bar lengths in percent of the track; the track spans the best unit's rate (at
    least 100%), with a marker at 100%."""
    if not rows:
        return None
    scale = max(100.0, *(r.percent for r in rows))
    bars = [
        {"row": r, "width": f"{r.percent / scale * 100:.1f}", "done": r.percent >= 100}
        for r in rows
    ]
    return {"bars": bars, "hundred": f"{100 / scale * 100:.1f}"}


@require_GET
@staff_view
def targets(request):
    years = org_selectors.target_years()
    year = _year(request, years)
    report = org_selectors.target_report(year=year, user=request.user)
    if request.GET.get("format") == "xlsx":
        if not report.has_figures:
            messages.info(request, _("No targets for this year."))
            return redirect(f"{reverse('console:targets')}?year={year}")
        record_targets_export(actor=request.user, year=year, request=request)
        response = HttpResponse(
            report_workbook(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f"attachment; filename=targets-{year}.xlsx"
        return response
    context = {
        "report": report,
        # The year after the latest one with targets can be shown before its targets are
        # imported: last year's figures with this year's column empty (SPEC T5).
        "years": sorted({year, *years, *(y + 1 for y in years[:1])}, reverse=True),
        "year": year,
        # A clerk's scope holds no organizing unit: the page shows the one above them.
        "own_unit_only": not org_selectors.organizing_units(user=request.user).exists(),
        "import_headers": "、".join(org_selectors.target_headers(year)),
    }
    return render(request, "console/targets.html", context)


@require_POST
@staff_view
@require(roles.can_edit_targets)
def targets_import(request):
    return views_targets.receive_upload(request)


@require_http_methods(["GET", "POST"])
@staff_view
def units(request):
    form = None
    if roles.can_edit_units(request.user.role):
        form = UnitForm(
            request.POST or None, parents=org_selectors.parent_choices(user=request.user)
        )
        if request.method == "POST" and form.is_valid():
            try:
                unit = add_unit(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    parent=form.cleaned_data["parent"],
                    request=request,
                )
            except UnitError as exc:
                form.add_error("name", str(exc))
            else:
                messages.success(request, _("Unit “%(name)s” added.") % {"name": unit.name})
                return redirect("console:units")
    elif request.method == "POST":
        raise PermissionDenied
    rows = [
        {"unit": row.unit, "indent": row.depth * 20, "members": row.members}
        for row in org_selectors.unit_tree(user=request.user)
    ]
    return render(request, "console/units.html", {"rows": rows, "form": form})


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_edit_members)
def member_new(request):
    form = MemberForm(request.POST or None, units=org_selectors.member_units(user=request.user))
    status, existing = 200, {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = create_member(
                actor=request.user,
                unit=data["unit"],
                request=request,
                data=MemberInput(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    union_card=data["union_card"],
                    employer_name=data["employer_name"],
                    has_basic_insurance=data["has_basic_insurance"],
                    insurance_scope=data["insurance_scope"],
                ),
            )
        except MemberError as exc:
            add_errors(form, exc.errors)
            # Members in the user's own scope who already hold a number: linked.
            status, existing = exc.status, exc.existing
        else:
            messages.success(request, _("Member %(name)s registered.") % {"name": created.name})
            return redirect("console:member", created.pk)
    context = {"form": form, "existing": list({m.pk: m for m in existing.values()}.values())}
    return render(request, "console/member_new.html", context, status=status)


@require_GET
@staff_view
def member(request, pk: int):
    found = member_selectors.member_for(user=request.user, pk=pk)
    return views_member_records.member_page(request, found)


@require_POST
@no_store
@staff_view
def member_reveal(request, pk: int):
    found = member_selectors.member_for(user=request.user, pk=pk)
    try:
        # The service checks the role, so that a refusal is audited too.
        clear = reveal_identity(actor=request.user, member=found, request=request)
    except RevealRefused:
        raise PermissionDenied from None
    return render(request, "console/_identity.html", {"member": found, "clear": clear})


@require_http_methods(["GET", "POST"])
@staff_view
def calculator(request):
    return render(request, "console/calculator.html", calculator_context(request))
