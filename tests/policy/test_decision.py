"""The calculator's typed answer: a frozen Decision pinned to its policy version, which the
front doors write as SPEC §10's JSON."""

import dataclasses
from decimal import Decimal

import pytest

from huzhu.calcfront.answers import answer_json
from huzhu.policy.calculator import decide, parse_all
from huzhu.policy.decision import Decision, StayDecision
from huzhu.policy.selectors import current_policies, current_version

CASE = {
    "year": 2022,
    "benefit": "hospitalization",
    "already_paid": "500",
    "episodes": [
        {"admitted_on": "2022-03-01", "settled_self_pay": "6200.50"},
        {"admitted_on": "2022-06-01", "cause": "work_injury", "settled_self_pay": "100"},
    ],
}


@pytest.mark.django_db
def test_a_decision_is_typed_and_names_the_policy_version_it_was_made_under():
    policies = current_policies()
    (case,) = parse_all([CASE], policies)
    decision = decide(case, policies[2022])
    assert decision.policy_version_id == current_version(2022).pk
    assert (decision.decision, decision.amount, decision.entitlement) == (
        "approved",
        Decimal("500"),
        Decimal("1000"),
    )
    assert decision.counted_self_pay == Decimal("6200.50")
    assert decision.stays == (
        StayDecision(Decimal("6200.50"), "settled"),
        StayDecision(Decimal("0.00"), "work_injury_stay"),
    )
    assert decision.reasons == ("work_injury_stay",)
    assert all(isinstance(line, str) for line in decision.explanation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.amount = Decimal(0)  # type: ignore[misc]


@pytest.mark.django_db
def test_a_year_without_rules_still_names_its_version():
    policies = current_policies()
    (case,) = parse_all([{**CASE, "year": 2021}], policies)
    decision = decide(case, policies[2021])
    assert decision.reasons == ("no_policy_for_year",)
    assert decision.policy_version_id == current_version(2021).pk
    (case,) = parse_all([{**CASE, "year": 2030}], policies)
    assert decide(case, policies.get(2030)).policy_version_id is None


def test_the_json_of_a_decision_is_the_contracts_and_leaves_the_version_out():
    decision = Decision(
        benefit="work_injury",
        decision="rejected",
        amount=Decimal(0),
        entitlement=Decimal("5000"),
        already_paid=Decimal("5000"),
        reasons=("already_paid",),
        explanation=("a", "b"),
        policy_version_id=7,
    )
    assert answer_json(decision) == {
        "benefit": "work_injury",
        "decision": "rejected",
        "amount": "0.00",
        "entitlement": "5000.00",
        "already_paid": "5000.00",
        "reasons": ["already_paid"],
        "explanation": ["a", "b"],
    }
