"""Roster uploads after the import (SPEC E6, S1, S5): the list in scope, one upload with its
files, authorizations and history, its approval or return by the organizing unit, and the
record of its paper forms' collection. The district admin's choice of where an organizing
unit's paper forms go is here too."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.console.views_jobs import serve_stored
from huzhu.dates import scheme_today
from huzhu.org import selectors as org_selectors
from huzhu.org.models import FormsRoute
from huzhu.org.services import UnitError, set_forms_route
from huzhu.rosters import selectors
from huzhu.rosters.models import ImportStatus, Review, RosterUpload
from huzhu.rosters.services import (
    AlreadyDone,
    ReviewRefused,
    approve_roster,
    forms_route_of,
    may_record_collection,
    record_collection,
    return_roster,
)
from huzhu.tabular import LIMITS
from huzhu.years import scheme_year

PAGE_SIZE = 50


class ReturnForm(forms.Form):
    # Length and emptiness are the service's checks, with its messages.
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


class CollectForm(forms.Form):
    collected_on = forms.DateField(
        label=gettext_lazy("Date collected"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # No more forms than a roster may have rows: a bigger number is a typo, and one past the
    # database's integer would fail to save.
    count = forms.IntegerField(
        label=gettext_lazy("Number of forms"), min_value=1, max_value=LIMITS.rows
    )


def _filters(request) -> tuple[selectors.RosterFilters, str]:
    """The list's filters from the query; values that are not one of the choices are
    ignored, as an empty filter."""
    # scheme_year, not str.isdigit(): "²²²²" is digits to isdigit() and not to int().
    year = scheme_year(request.GET.get("year", ""))
    status = request.GET.get("status", "")
    review = request.GET.get("review", "")
    filters = selectors.RosterFilters(
        year=year,
        status=status if status in ImportStatus.values else "",
        review=review if review in Review.values else "",
    )
    query = urlencode(
        {
            key: value
            for key, value in (
                ("year", filters.year or ""),
                ("status", filters.status),
                ("review", filters.review),
            )
            if value
        }
    )
    return filters, query


@require_GET
@staff_view
def rosters(request):
    filters, query = _filters(request)
    listed = selectors.rosters_for(user=request.user, filters=filters)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/rosters/list.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "years": selectors.roster_years(user=request.user),
            "statuses": ImportStatus.choices,
            "reviews": Review.choices,
            "awaiting": selectors.awaiting_count(user=request.user),
            "can_review": roles.can_review_rosters(request.user.role),
        },
    )


@require_GET
@staff_view
def roster(request, pk: int):
    found = selectors.roster_for(user=request.user, pk=pk)
    shown, total = selectors.roster_authorizations(roster=found)
    reviewable = (
        roles.can_review_rosters(request.user.role)
        and found.status == ImportStatus.IMPORTED
        and found.review == Review.AWAITING
    )
    collectable = (
        found.review == Review.APPROVED
        and found.collected_on is None
        and may_record_collection(user=request.user, roster=found)
    )
    collect_form = None
    if collectable:
        collect_form = CollectForm(initial={"count": found.imported or None})
        # The browser's date picker stops where the service does (E6: not in the future).
        collect_form.fields["collected_on"].widget.attrs["max"] = scheme_today().isoformat()
    return render(
        request,
        "console/rosters/detail.html",
        {
            "roster": found,
            "authorizations": shown,
            "authorizations_total": total,
            "history": selectors.roster_history(roster=found),
            "route": FormsRoute(forms_route_of(found)).label,
            "reviewable": reviewable,
            "return_form": ReturnForm() if reviewable else None,
            "collect_form": collect_form,
        },
    )


@require_GET
@staff_view
def roster_file(request, pk: int):
    """The roster as uploaded, to those whose scope holds the upload (S5); 404 otherwise."""
    found = selectors.roster_for(user=request.user, pk=pk)
    return serve_stored(request, found.file)


@require_GET
@staff_view
def roster_errors(request, pk: int):
    """The workbook of rejected rows (X4), kept with the upload."""
    found = selectors.roster_for(user=request.user, pk=pk)
    if found.errors_file is None:
        raise Http404
    return serve_stored(request, found.errors_file)


def _act(request, found: RosterUpload, step) -> None:
    try:
        step()
    except AlreadyDone as done:
        messages.info(request, done.message)
    except ReviewRefused as refused:
        messages.error(request, refused.message)


@require_POST
@staff_view
@require(roles.can_review_rosters)
def roster_approve(request, pk: int):
    found = selectors.roster_for(user=request.user, pk=pk)

    def approve():
        approve_roster(actor=request.user, roster=found, request=request)
        messages.success(
            request,
            _("Roster approved: its %(count)s authorizations now go into deductions.")
            % {"count": found.imported},
        )

    _act(request, found, approve)
    return redirect("console:roster", found.pk)


@require_POST
@staff_view
@require(roles.can_review_rosters)
def roster_return(request, pk: int):
    found = selectors.roster_for(user=request.user, pk=pk)
    form = ReturnForm(request.POST)
    form.is_valid()  # a text field: always valid; the service checks the reason

    def send_back():
        return_roster(
            actor=request.user,
            roster=found,
            reason=form.cleaned_data.get("reason", ""),
            request=request,
        )
        messages.success(
            request, _("Roster returned. Its authorizations that were still active have ended.")
        )

    _act(request, found, send_back)
    return redirect("console:roster", found.pk)


@require_POST
@staff_view
@require(roles.can_record_collection)
def roster_collect(request, pk: int):
    found = selectors.roster_for(user=request.user, pk=pk)
    form = CollectForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label
            for error in errors:
                messages.error(request, f"{label}：{error}")
        return redirect("console:roster", found.pk)
    count = form.cleaned_data["count"]

    def collect():
        record_collection(
            actor=request.user,
            roster=found,
            collected_on=form.cleaned_data["collected_on"],
            count=count,
            request=request,
        )
        messages.success(request, _("Collection of the paper forms recorded."))
        if count != found.imported:
            messages.warning(
                request,
                _(
                    "%(count)s forms were collected but the roster imported %(imported)s rows: "
                    "check the paper forms against the roster."
                )
                % {"count": count, "imported": found.imported},
            )

    _act(request, found, collect)
    return redirect("console:roster", found.pk)


@require_POST
@staff_view
@require(roles.can_correct_units)
def unit_forms_route(request, pk: int):
    found = org_selectors.unit_for(user=request.user, pk=pk)
    try:
        set_forms_route(
            actor=request.user, unit=found, route=request.POST.get("route", ""), request=request
        )
    except UnitError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Route of the paper forms saved."))
    return redirect("console:unit", found.pk)
