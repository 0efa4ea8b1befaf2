"""The calculator page's request handling, shared by the member portal and the console."""

import datetime

from django.utils.translation import gettext as _

from huzhu.policy.calculator import CalculatorInputError, calculate_payload
from huzhu.policy.forms import CalculatorForm, StayFormSet, build_case
from huzhu.policy.selectors import current_policies

EXTRA_STAYS = 4


def calculator_context(request) -> dict:
    policies = current_policies()
    years = sorted(policies, reverse=True)
    with_rules = [y for y in years if policies[y].has_benefits]
    default_year = next(
        (y for y in with_rules if y <= datetime.date.today().year),
        with_rules[0] if with_rules else (years[0] if years else None),
    )
    illness_policy = policies.get(default_year)
    illnesses = (
        [i.name for i in illness_policy.critical_illness.illnesses]
        if illness_policy and illness_policy.critical_illness
        else []
    )
    data = request.POST if request.method == "POST" else None
    form = CalculatorForm(data, years=years, illnesses=illnesses, initial={"year": default_year})
    stays = StayFormSet(data, prefix="stay")
    if data is None:
        stays = StayFormSet(prefix="stay", initial=[{}])
        stays.extra = EXTRA_STAYS
    result = None
    if data is not None and form.is_valid():
        hospitalization = form.cleaned_data["benefit"] == "hospitalization"
        if not hospitalization or stays.is_valid():
            try:
                result = calculate_payload(build_case(form, stays), policies)
            except CalculatorInputError as exc:
                for error in exc.errors:
                    form.add_error(None, _("%(field)s: %(message)s") % error)
    return {"form": form, "stays": stays, "result": result}
