"""Recovery after payment (SPEC B-X3, §14, D9)."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.claims import recovery, services
from huzhu.claims.models import BenefitEntry, ClaimState, RecoveryMethod, RecoveryState
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.money import format_yuan
from tests.claims.helpers import approved, hospital_facts, illness_facts, paid_member, stay
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


def paid(claim):
    """The claim's payout landed (the payout batches do this through the bank's result)."""
    with transaction.atomic():
        claim = services._locked(claim.pk)
        services._move(claim, ClaimState.PAID, actor=None, reason="test payout")
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


def test_b_x3_the_recovery_pages_and_their_messages_are_in_chinese(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = paid(
        approved(
            member,
            hospital_facts(stay("2022-02-01", "60000")),
            reviewers.agency,
            second=reviewers.district,
        )
    )
    sign_in(client, reviewers.agency)
    response = client.post(
        reverse("console:claim_recover", args=[claim.pk]),
        {"exclusions-0": "bed_occupancy", "reason": "挂床", "method": "repayment"},
        follow=True,
    )
    html = response.content.decode()
    assert "已立追回事项" in html and "应追回金额" in html
    finance = make_user("recovery_finance", Role.FINANCE, tree.district, True)
    sign_in(client, finance)
    case = claim.recoveries.get()
    response = client.post(
        reverse("console:recovery_repay", args=[case.pk]), {"amount": "abc"}, follow=True
    )
    html = response.content.decode()
    assert f"追回事项 {case.pk}：" in html and "登记退回款" in html
    for english in ("Recovery cases", "Amount to recover", "Record repayment", "Case "):
        assert english not in html


def test_b_x3_a_long_reason_is_kept_within_the_history_and_the_amount_is_still_told(
    tree, reviewers
):
    member = paid_member(tree.hutang_union)
    facts = hospital_facts(stay("2022-02-01", "6000"), stay("2022-03-01", "200"))
    claim = paid(approved(member, facts, reviewers.agency))
    long_reason = "种牙" * 400
    assert (
        recovery.open_recovery(
            claim_id=claim.pk,
            actor=reviewers.agency,
            exclusions={1: ["dental"]},
            reason=long_reason,
            method="repayment",
        )
        is None
    )
    assert all(len(e.reason) <= 500 for e in claim.events.all())
    other = paid(
        approved(
            paid_member(tree.hutang_union_b, name="钱七"),
            hospital_facts(stay("2022-02-01", "60000")),
            reviewers.agency,
            second=reviewers.district,
        )
    )
    case = recovery.open_recovery(
        claim_id=other.pk,
        actor=reviewers.agency,
        exclusions={0: ["bed_occupancy"]},
        reason=long_reason,
        method="repayment",
    )
    told = other.events.exclude(message="").latest("at", "id").message
    assert len(told) <= 500 and format_yuan(case.amount) in told
