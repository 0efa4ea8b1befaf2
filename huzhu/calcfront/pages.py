"""Pages over the policy shared by the member portal and the console: the calculator's
request handling, and what the scheme pays in plain words."""

import functools
from collections.abc import Mapping

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from huzhu.calcfront.answers import calculate_payload
from huzhu.calcfront.forms import BaseStayFormSet, CalculatorForm, StayFormSet, build_case
from huzhu.dates import scheme_today
from huzhu.money import format_yuan_short
from huzhu.policy.calculator import CalculatorInputError
from huzhu.policy.document import Policy
from huzhu.policy.selectors import current_policies


def year_with_rules(policies: Mapping[int, Policy]) -> int | None:
    """The latest year with benefit rules that has begun; else the earliest such year to
    come; None when no year has benefit rules."""
    with_rules = sorted((y for y, p in policies.items() if p.has_benefits), reverse=True)
    this_year = scheme_today().year
    return next((y for y in with_rules if y <= this_year), with_rules[-1] if with_rules else None)


def benefit_summary(policies: Mapping[int, Policy]) -> dict | None:
    """The amounts of the portal's "what the scheme pays", from the policy of
    `year_with_rules`; None when no year has benefit rules."""
    year = year_with_rules(policies)
    if year is None:
        return None
    policy = policies[year]
    hospital, illness, injury = (
        policy.hospitalization,
        policy.critical_illness,
        policy.work_injury,
    )
    assert hospital is not None and illness is not None and injury is not None
    injury_amounts = injury.amounts.values()
    return {
        "year": year,
        "hospital_from": format_yuan_short(hospital.tiers[0].lower),
        "hospital_lowest": format_yuan_short(hospital.tiers[0].amount),
        "hospital_highest": format_yuan_short(hospital.tiers[-1].amount),
        "illness_amount": format_yuan_short(illness.amount),
        "illness_count": len(illness.illnesses),
        "injury_lowest": format_yuan_short(min(injury_amounts)),
        "injury_highest": format_yuan_short(max(injury_amounts)),
    }


@functools.lru_cache(maxsize=8)
def _blank_stay(language: str | None, formset: type[BaseStayFormSet]) -> SafeString:
    """A stay as the page first shows it, `__prefix__` for its index and `__number__` for
    its number: the same for every request in a language, so rendered once. The page's
    <template> holds it as it is; a fresh page's first stay is it with 0 and 1."""
    return render_to_string(
        "policy/_stay.html",
        {"stay": formset(prefix="stay").empty_form, "number": "__number__", "open": True},
    )


def blank_stay(
    index: int | None = None, formset: type[BaseStayFormSet] = StayFormSet
) -> SafeString:
    """`formset`: the stays of another form built on the calculator's (a claim's)."""
    html = _blank_stay(translation.get_language(), formset)
    if index is None:
        return html
    # Only the two placeholders change: names, ids and the number; all of them escaped text.
    return mark_safe(  # noqa: S308
        html.replace("__prefix__", str(index)).replace("__number__", str(index + 1))
    )


@functools.lru_cache(maxsize=16)
def _blank_form(
    language: str | None, years: tuple[int, ...], year: int | None, illnesses: tuple[str, ...]
) -> SafeString:
    """The questions as a page first shows them (inside the <form>, without its CSRF token):
    the same for every request with the same language, years and illness list."""
    return render_to_string(
        "policy/_calculator_form.html",
        {
            "form": CalculatorForm(
                years=list(years), illnesses=list(illnesses), initial={"year": year}
            ),
            "stays": StayFormSet(prefix="stay", initial=[{}]),
            "stays_html": blank_stay(0),
            "stay_template_html": blank_stay(),
        },
    )


def calculator_context(request) -> dict:
    policies = current_policies()
    years = sorted(policies, reverse=True)
    default_year = year_with_rules(policies) or (years[0] if years else None)
    illness_policy = policies.get(default_year) if default_year is not None else None
    illnesses = (
        [i.name for i in illness_policy.critical_illness.illnesses]
        if illness_policy and illness_policy.critical_illness
        else []
    )
    if request.method != "POST":
        # Rendered once and reused: most requests only open the page. The policies in
        # force (by year and version) are part of the key through the years and illnesses.
        key = (translation.get_language(), tuple(years), default_year, tuple(illnesses))
        return {"form_html": _blank_form(*key), "result": None}
    data = request.POST
    form = CalculatorForm(data, years=years, illnesses=illnesses, initial={"year": default_year})
    stays = StayFormSet(data, prefix="stay")
    damaged = stays.is_damaged()
    if damaged:
        # One stay; the browser adds more from the page's <template> (app.js). A damaged
        # page gets its stays afresh: its hidden counts sent back as they came would break
        # the next try too.
        stays = StayFormSet(prefix="stay", initial=[{}])
    result = None
    if form.is_valid():
        hospitalization = form.cleaned_data["benefit"] == "hospitalization"
        if not hospitalization or (not damaged and stays.is_valid()):
            try:
                result = calculate_payload(build_case(form, stays), policies)
            except CalculatorInputError as exc:
                for error in exc.errors:
                    form.add_error(None, _("%(field)s: %(message)s") % error)
    return {
        "form": form,
        "stays": stays,
        "stays_damaged": damaged,
        # Fresh stays (a damaged page) are the blank one; stays sent back are rendered as
        # they came.
        "stays_html": blank_stay(0) if not stays.is_bound else "",
        "stay_template_html": blank_stay(),
        "result": result,
    }
