"""Enrollments in the console: a year's list and one member's history, where a clerk
enrolls a member on paper (SPEC E1–E5, S1)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from huzhu.accounts import roles
from huzhu.accounts.access import scope_path
from huzhu.console.access import staff_view
from huzhu.dates import scheme_today
from huzhu.enrollment import selectors
from huzhu.enrollment.models import Channel, Source, State
from huzhu.enrollment.rules import EnrollmentError
from huzhu.enrollment.services import sign
from huzhu.members import selectors as member_selectors
from huzhu.org.models import Unit
from huzhu.org.paths import starts_with
from huzhu.policy.selectors import current_policies


def _int(value: str | None) -> int | None:
    if value and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def _years() -> list[int]:
    years = sorted(current_policies(), reverse=True)
    return years or [scheme_today().year]


@require_http_methods(["GET"])
@staff_view
def enrollments(request):
    years = _years()
    year = _int(request.GET.get("year"))
    if year not in years:
        year = years[0]
    state = request.GET.get("state") or None
    if state not in State.values:
        state = None
    channel = request.GET.get("channel") or None
    if channel not in Channel.values:
        channel = None
    units = member_selectors.member_units(user=request.user)
    unit_id = _int(request.GET.get("unit"))
    unit = (
        Unit.objects.filter(starts_with("path", scope_path(request.user)), pk=unit_id).first()
        if unit_id is not None
        else None
    )
    page = selectors.enrollment_page(
        user=request.user,
        year=year,
        state=state,
        channel=channel,
        unit=unit,
        after=_int(request.GET.get("after")),
        before=_int(request.GET.get("before")),
    )
    query = "&".join(
        f"{k}={v}"
        for k, v in (
            ("year", year),
            ("state", state or ""),
            ("channel", channel or ""),
            ("unit", unit.pk if unit else ""),
        )
    )
    return render(
        request,
        "console/enrollments.html",
        {
            "page": page,
            "years": years,
            "year": year,
            "state": state or "",
            "channel": channel or "",
            "unit": unit,
            "units": units,
            "states": State.choices,
            "channels": Channel.choices,
            "query": query,
        },
    )


class PaperSigningForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Scheme year"), coerce=int)
    signed_on = forms.DateField(
        label=gettext_lazy("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [(y, str(y)) for y in years]


@require_http_methods(["GET", "POST"])
@staff_view
def member_enrollments(request, pk: int):
    member = member_selectors.member_for(user=request.user, pk=pk)
    can_sign = roles.can_edit_members(request.user.role)
    years = _years()
    if request.method == "POST":
        if not can_sign:
            raise PermissionDenied
        form = PaperSigningForm(request.POST, years=years)
        if form.is_valid():
            try:
                sign(
                    member=member,
                    year=form.cleaned_data["year"],
                    channel=Channel.PAPER,
                    signed_on=form.cleaned_data["signed_on"],
                    source=Source.CONSOLE,
                    actor=request.user,
                    request=request,
                )
            except EnrollmentError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("console:member_enrollments", pk=member.pk)
    else:
        form = PaperSigningForm(
            initial={"year": years[0], "signed_on": scheme_today()}, years=years
        )
    return render(
        request,
        "console/member_enrollments.html",
        {
            "member": member,
            "enrollments": selectors.member_enrollments(user=request.user, member=member),
            "form": form if can_sign else None,
        },
    )
