"""Recovery after payment (SPEC B-X3, §14, D9)."""

from decimal import Decimal

import pytest
from django.db import transaction

from huzhu.claims import recovery, services
from huzhu.claims.models import BenefitEntry, ClaimState, RecoveryMethod, RecoveryState
from huzhu.ledger.models import EntryKind, LedgerEntry
from tests.claims.helpers import (
    approved,
    hospital_facts,
    illness_facts,
    paid_member,
    stay,
)

pytestmark = pytest.mark.django_db


def paid(claim):
    """The claim's payout landed (the payout batches do this through the bank's result)."""
    with transaction.atomic():
        claim = services.locked_claim(claim.pk)
        services.move(claim, ClaimState.PAID, actor=None, reason="test payout")
    return claim


def test_b_x3_an_exclusion_found_after_payout_opens_a_recovery_and_recomputes_the_year(
    tree, reviewers
):
    member = paid_member(tree.hutang_union)
    first = paid(approved(member, hospital_facts(stay("2022-02-01", "6000")), reviewers.agency))
    paid(approved(member, hospital_facts(stay("2022-05-01", "6000")), reviewers.agency))
    assert services.already_paid(member_id=member.pk, year=2022, benefit="hospitalization") == (
        Decimal("1500.00")
    )
    case = recovery.open_recovery(
        claim_id=first.pk,
        actor=reviewers.agency,
        exclusions={0: ["bed_occupancy"]},
        reason="挂床未实际住院",
        method=RecoveryMethod.REPAYMENT,
    )
    # The year's total is now 6000 → 1000; 1500 was paid: 500 is owed.
    assert case.amount == Decimal("500.00")
    first.refresh_from_db()
    assert first.state == ClaimState.RECOVERED
    assert services.already_paid(member_id=member.pk, year=2022, benefit="hospitalization") == (
        Decimal("1000.00")
    )
    reversal = BenefitEntry.objects.get(claim=first, kind="reversal")
    assert reversal.amount == Decimal("-500.00") and reversal.reason == "挂床未实际住院"


def test_b_x3_a_repayment_enters_the_fund_ledger_and_closes_the_case(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = paid(approved(member, illness_facts(), reviewers.agency, second=reviewers.district))
    case = recovery.open_recovery(
        claim_id=claim.pk,
        actor=reviewers.agency,
        exclusions=["concealment"],
        reason="隐瞒病史",
        method=RecoveryMethod.REPAYMENT,
    )
    assert case.amount == Decimal("5000.00")
    recovery.record_repayment(case_id=case.pk, amount_text="2000", actor=reviewers.district)
    with pytest.raises(services.ClaimError) as refused:
        recovery.record_repayment(case_id=case.pk, amount_text="3000.01", actor=reviewers.district)
    assert refused.value.field == "amount"
    recovery.record_repayment(case_id=case.pk, amount_text="3000", actor=reviewers.district)
    case.refresh_from_db()
    assert case.state == RecoveryState.RECOVERED and case.recovered == Decimal("5000.00")
    entries = LedgerEntry.objects.filter(kind=EntryKind.RECOVERY).order_by("pk")
    assert [e.amount for e in entries] == [Decimal("2000.00"), Decimal("3000.00")]
    with pytest.raises(services.ClaimError):
        recovery.record_repayment(case_id=case.pk, amount_text="1", actor=reviewers.district)


@pytest.mark.parametrize("text", ["1e400", "abc", "-5", "0", "10.001", "NaN"])
def test_b_x3_a_repayment_amount_that_is_not_yuan_is_refused_naming_the_field(
    tree, reviewers, text
):
    member = paid_member(tree.hutang_union)
    claim = paid(approved(member, illness_facts(), reviewers.agency, second=reviewers.district))
    case = recovery.open_recovery(
        claim_id=claim.pk,
        actor=reviewers.agency,
        exclusions=["fraud"],
        reason="伪造材料",
        method=RecoveryMethod.REPAYMENT,
    )
    with pytest.raises(services.ClaimError) as refused:
        recovery.record_repayment(case_id=case.pk, amount_text=text, actor=reviewers.district)
    assert refused.value.field == "amount"


def test_b_x3_recovery_needs_a_reason_and_a_method_and_a_paid_claim(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = approved(member, hospital_facts(), reviewers.agency)
    with pytest.raises(services.ClaimError) as refused:
        recovery.open_recovery(
            claim_id=claim.pk,
            actor=reviewers.agency,
            exclusions={0: ["fraud"]},
            reason="",
            method="repayment",
        )
    assert refused.value.field == "reason"
    with pytest.raises(services.ClaimError) as refused:
        recovery.open_recovery(
            claim_id=claim.pk,
            actor=reviewers.agency,
            exclusions={0: ["fraud"]},
            reason="欺诈",
            method="cash",
        )
    assert refused.value.field == "method"
    with pytest.raises(services.ClaimError) as refused:
        recovery.open_recovery(
            claim_id=claim.pk,
            actor=reviewers.agency,
            exclusions={0: ["fraud"]},
            reason="欺诈",
            method="repayment",
        )
    assert refused.value.code == "state"  # approved, not paid yet


def test_b_x3_an_exclusion_that_does_not_change_the_tier_owes_nothing(tree, reviewers):
    member = paid_member(tree.hutang_union)
    facts = hospital_facts(stay("2022-02-01", "6000"), stay("2022-03-01", "200"))
    claim = paid(approved(member, facts, reviewers.agency))
    assert (
        recovery.open_recovery(
            claim_id=claim.pk,
            actor=reviewers.agency,
            exclusions={1: ["dental"]},
            reason="种牙",
            method="repayment",
        )
        is None
    )
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID
    assert claim.facts["episodes"][1]["exclusions"] == ["dental"]
