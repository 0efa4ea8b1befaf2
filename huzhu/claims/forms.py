"""The questions of a claim (SPEC C1): the calculator's questions (huzhu/calcfront/forms.py)
without "already paid" (the benefit ledger's), and per hospital stay what the reviewer's
signals need (C6): the discharge day, the hospital and the invoice number."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huzhu.calcfront.forms import (
    DATE,
    CalculatorForm,
    StayForm,
    build_case,
    stay_formset,
)
from huzhu.claims.models import ClaimStay
from huzhu.claims.services import StayDetails

HOSPITAL_CHARS = ClaimStay._meta.get_field("hospital").max_length
INVOICE_CHARS = ClaimStay._meta.get_field("invoice_number").max_length


class ClaimForm(CalculatorForm):
    """The calculator's form for one claim: the years are those the member has an
    enrollment of; "already paid" is not asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["already_paid"]


class ClaimStayForm(StayForm):
    field_order = ["admitted_on", "discharged_on", "hospital", "invoice_number"]
    discharged_on = forms.DateField(label=_("Discharged on"), widget=DATE)
    hospital = forms.CharField(label=_("Hospital"), max_length=HOSPITAL_CHARS)
    invoice_number = forms.CharField(
        label=_("Invoice number"),
        max_length=INVOICE_CHARS,
        required=False,
        help_text=_("The number printed on the hospital invoice."),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        admitted, discharged = data.get("admitted_on"), data.get("discharged_on")
        if admitted and discharged and discharged < admitted:
            self.add_error("discharged_on", _("The discharge is before the admission."))
        return data


ClaimStayFormSet = stay_formset(ClaimStayForm)


def _details(stays) -> list[StayDetails]:
    return [
        StayDetails(
            discharged_on=stay["discharged_on"],
            hospital=stay["hospital"].strip(),
            invoice_number=stay.get("invoice_number", "").strip(),
        )
        for stay in stays.cleaned_data
        if stay
    ]


def claim_facts(form: ClaimForm, stays) -> tuple[dict, list[StayDetails]]:
    """The claim's facts (§10 without `already_paid`) and its stays' details, from valid
    forms."""
    facts = build_case(form, stays)
    facts.pop("already_paid", None)
    details = _details(stays) if facts["benefit"] == "hospitalization" else []
    return facts, details


@dataclass
class _Answers:
    """The part of a valid CalculatorForm that build_case reads, for stays answered alone."""

    cleaned_data: dict


def claim_facts_stays(facts: dict, stays) -> tuple[dict, list[StayDetails]]:
    """A hospitalization claim's facts with its stays answered again (valid stay forms);
    the reviewer's exclusions stay with the stay of the same place."""
    answers = _Answers({"year": facts["year"], "benefit": "hospitalization"})
    episodes = build_case(cast(CalculatorForm, answers), stays)["episodes"]
    before = facts.get("episodes") or []
    for index, episode in enumerate(episodes):
        if index < len(before) and before[index].get("exclusions"):
            episode["exclusions"] = list(before[index]["exclusions"])
    return {**facts, "episodes": episodes}, _details(stays)


def stays_initial(facts: dict, details: list[StayDetails]) -> list[dict]:
    """The stay forms' initial values from a claim's facts and stays (to answer again)."""
    rows = []
    for index, episode in enumerate(facts.get("episodes") or []):
        extra = details[index] if index < len(details) else StayDetails()
        ratio = Decimal(str(episode.get("liability_ratio", "1")))
        rows.append(
            {
                "admitted_on": datetime.date.fromisoformat(episode["admitted_on"]),
                "cause": episode.get("cause", "illness"),
                "insurance_scope": episode.get("insurance_scope", "jiangsu"),
                "settled_self_pay": episode.get("settled_self_pay"),
                "unsettled_cost": episode.get("unsettled_cost"),
                "settlement_pending": bool(episode.get("settlement_pending")),
                "traffic_total_cost": episode.get("traffic_total_cost"),
                "liability_percent": (ratio * 100).normalize(),
                "discharged_on": extra.discharged_on,
                "hospital": extra.hospital,
                "invoice_number": extra.invoice_number,
            }
        )
    return rows
