"""What the review page shows of a claim, in plain words (SPEC C3): its facts and stays, the
exclusions a reviewer may record, and the calculator's answer computed now with the same
code that decides it (services.full_case, the calculator)."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from huzhu.calcfront.answers import answer_json
from huzhu.claims import services
from huzhu.claims.models import Claim, ClaimStay
from huzhu.policy import codes
from huzhu.policy.calculator import decide
from huzhu.policy.cases import CaseError, parse_case
from huzhu.policy.document import Policy
from huzhu.policy.selectors import current_policies


@dataclass(frozen=True)
class StayView:
    index: int
    admitted_on: str
    discharged_on: str
    hospital: str
    invoice_number: str
    lines: list[tuple[str, str]]
    exclusions: list[str]


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def _label(labels: Mapping, code) -> str:
    return str(labels.get(code, code))


def exclusion_options(benefit: str, policy: Policy | None) -> list[tuple[str, str]]:
    """The exclusion codes a reviewer may record for the benefit (B-X1, B-X2), in the
    contract's order, with the words the year's policy gives them."""
    allowed: tuple[str, ...] = codes.GENERAL_EXCLUSIONS
    labels: Mapping[str, str] = policy.general_exclusions if policy else {}
    if benefit == "critical_illness":
        allowed = codes.CRITICAL_ILLNESS_EXCLUSIONS
        labels = policy.critical_illness_exclusions if policy else {}
    return [(code, labels.get(code, code)) for code in allowed]


def fact_lines(claim: Claim, policy: Policy | None) -> list[tuple[str, str]]:
    """The claim's facts besides its stays, one (label, value) each."""
    facts = claim.facts
    lines = [
        (_("Benefit"), _label(codes.BENEFIT_LABELS, claim.benefit)),
        (_("Scheme year"), str(claim.year)),
        (_("Event date"), claim.event_on.isoformat()),
    ]
    if claim.benefit == "critical_illness":
        hospital = facts.get("hospital") or {}
        lines += [
            (_("Illness"), str(facts.get("illness", ""))),
            (_("Diagnosed on"), str(facts.get("diagnosed_on", ""))),
            (_("First diagnosed on"), str(facts.get("first_diagnosed_on", ""))),
            (_("Diagnosing hospital in Changzhou"), _yes_no(hospital.get("in_changzhou", True))),
            (
                _("Diagnosing hospital grade"),
                _label(codes.HOSPITAL_GRADE_LABELS, hospital.get("grade")),
            ),
        ]
    elif claim.benefit == "work_injury":
        lines += [
            (_("Injured on"), str(facts.get("injured_on", ""))),
            (_("Disability grade"), _label(codes.WORK_INJURY_GRADE_LABELS, facts.get("grade"))),
            (
                _("Appraisal certificate level"),
                _label(codes.CERTIFICATE_LEVEL_LABELS, facts.get("certificate_level")),
            ),
        ]
    if claim.benefit != "hospitalization":
        found = _exclusion_labels(claim.benefit, facts.get("exclusions", ()), policy)
        lines.append((_("Exclusions recorded"), "、".join(found) if found else _("none")))
    return lines


def _exclusion_labels(benefit: str, found: Sequence[str], policy: Policy | None) -> list[str]:
    labels = dict(exclusion_options(benefit, policy))
    return [labels.get(code, code) for code in found]


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def stay_views(claim: Claim, stays: Sequence[ClaimStay], policy: Policy | None) -> list[StayView]:
    """A hospitalization claim's stays: the calculator's facts of each with the dates,
    hospital and invoice number kept beside them."""
    if claim.benefit != "hospitalization":
        return []
    details = {stay.index: stay for stay in stays}
    views = []
    for index, episode in enumerate(claim.facts.get("episodes", [])):
        stay = details.get(index)
        lines = [
            (_("Cause"), _label(codes.CAUSE_LABELS, episode.get("cause", "illness"))),
            (
                _("Basic medical insurance"),
                _label(codes.INSURANCE_SCOPE_LABELS, episode.get("insurance_scope", "jiangsu")),
            ),
            (_("Settled self-pay (yuan)"), str(episode.get("settled_self_pay", "0"))),
        ]
        if episode.get("unsettled_cost"):
            lines.append((_("Unsettled cost (yuan)"), str(episode["unsettled_cost"])))
        if episode.get("settlement_pending"):
            lines.append((_("Settlement with the medical insurance pending"), _("yes")))
        if episode.get("traffic_total_cost"):
            lines.append(
                (_("Traffic accident total cost (yuan)"), str(episode["traffic_total_cost"]))
            )
            lines.append((_("Liability ratio"), str(episode.get("liability_ratio", "1"))))
        views.append(
            StayView(
                index=index,
                admitted_on=str(episode.get("admitted_on", "")),
                discharged_on=_day(stay.discharged_on) if stay else "",
                hospital=stay.hospital if stay else "",
                invoice_number=stay.invoice_number if stay else "",
                lines=lines,
                exclusions=list(episode.get("exclusions", [])),
            )
        )
    return views


def current_trial(claim: Claim) -> tuple[dict | None, str]:
    """The calculator's answer for the claim as it stands now (SPEC C3, "当前试算"): the case
    the claim would be decided on (services.full_case) through the calculator. An answer, or
    the reason none could be computed."""
    policy = current_policies().get(claim.year)
    try:
        return answer_json(decide(parse_case(services.full_case(claim)), policy)), ""
    except CaseError as exc:
        return None, f"{exc.field}: {exc.message}"


def chosen_exclusions(claim: Claim, data) -> Sequence[str] | dict[int, Sequence[str]]:
    """The reviewer's ticks from a POST (`exclusions` for the claim, `exclusions-N` for
    stay N), codes unknown to the benefit dropped: services.record_exclusions takes them."""
    allowed = {code for code, _label in exclusion_options(claim.benefit, None)}
    if claim.benefit == "hospitalization":
        count = len(claim.facts.get("episodes", []))
        return {
            index: [c for c in data.getlist(f"exclusions-{index}") if c in allowed]
            for index in range(count)
        }
    return [c for c in data.getlist("exclusions") if c in allowed]
