"""Claims from submission to decision (SPEC B0, C1–C3, C5, C6, B-H4, B-C3, B-W2, §14)."""

from decimal import Decimal

import pytest

from huzhu.claims import rules, services
from huzhu.claims.models import BenefitEntry, ClaimDecision, ClaimEvent, ClaimState
from huzhu.members.sms import OutboxSender
from huzhu.policy.models import PolicyVersion
from tests.claims.helpers import (
    DAY,
    approved,
    documents,
    hospital_facts,
    illness_facts,
    injury_facts,
    paid_member,
    stay,
    submit,
)
from tests.payments.helpers import signed

pytestmark = pytest.mark.django_db
S = ClaimState


def reviewed(member, facts, reviewer, **kwargs):
    claim = submit(member, facts, **kwargs)
    return services.start_review(claim_id=claim.pk, actor=reviewer)


# --- B0: who may claim, for what ------------------------------------------------------------


def test_b0_a_member_not_enrolled_is_refused_before_submitting(tree):
    from tests.conftest import add_member

    member = add_member(tree.hutang_union, union_card="6231660000000001234")
    with pytest.raises(services.ClaimError) as refused:
        submit(member)
    assert refused.value.code == "not_enrolled"
    assert "2022" in refused.value.message


def test_b0_a_member_whose_fee_is_not_paid_is_refused(tree):
    member = signed(tree.hutang_union).member
    with pytest.raises(services.ClaimError) as refused:
        submit(member)
    assert refused.value.code == "not_paid"
    assert "未缴费" in refused.value.message or "缴费" in refused.value.message


def test_b0_an_event_outside_the_coverage_period_is_refused(tree):
    member = paid_member(tree.hutang_union)
    with pytest.raises(services.ClaimError) as refused:
        submit(member, illness_facts(diagnosed_on="2023-01-05"))
    assert refused.value.code == "outside_coverage_period"
    assert "2022-01-01" in refused.value.message and "2022-12-31" in refused.value.message


def test_p3_b0_a_2021_claim_says_the_year_has_no_benefit_rules(tree):
    member = paid_member(tree.hutang_union, year=2021)
    with pytest.raises(services.ClaimError) as refused:
        submit(member, hospital_facts(stay("2021-03-01"), year=2021))
    assert refused.value.code == "no_policy_for_year"


def test_c1_a_claim_without_the_documents_its_benefit_needs_is_refused_naming_them(tree):
    member = paid_member(tree.hutang_union)
    with pytest.raises(services.ClaimError) as refused:
        services.submit_claim(
            member=member,
            facts=hospital_facts(),
            documents=documents(member, skip=("settlement", "discharge")),
        )
    assert refused.value.field == "documents"
    assert "结算" in refused.value.message and "出院" in refused.value.message


def test_c1_the_estimate_is_kept_with_its_explanation(tree):
    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay(self_pay="6200")))
    assert claim.state == S.SUBMITTED
    assert claim.estimate == Decimal("1000.00")
    pinned = ClaimDecision.objects.get(claim=claim, step="estimate")
    assert pinned.answer["amount"] == "1000.00" and pinned.answer["explanation"]


# --- B-H4: the year's total, claimed stay by stay ------------------------------------------


def test_b_h4_three_stays_claimed_one_by_one_pay_exactly_the_tier_of_the_total(tree, reviewers):
    member = paid_member(tree.hutang_union)
    amounts = []
    for day, self_pay in (("2022-02-01", "3000"), ("2022-05-01", "4000"), ("2022-09-01", "6000")):
        claim = approved(member, hospital_facts(stay(day, self_pay)), reviewers.agency)
        amounts.append(claim.amount)
    # 3000 → 500; 7000 → 1000 (500 more); 13000 → 1500 (500 more).
    assert amounts == [Decimal("500.00")] * 3
    assert services.already_paid(
        member_id=member.pk, year=2022, benefit="hospitalization"
    ) == Decimal("1500.00")


def test_b_h4_a_stay_under_the_lowest_tier_counts_when_a_later_stay_lifts_the_total(
    tree, reviewers
):
    member = paid_member(tree.hutang_union)
    first = reviewed(member, hospital_facts(stay("2022-02-01", "600")), reviewers.agency)
    with pytest.raises(services.ClaimError):
        services.approve(claim_id=first.pk, actor=reviewers.agency)
    services.reject(claim_id=first.pk, actor=reviewers.agency, reason="未达起付标准")
    second = approved(member, hospital_facts(stay("2022-06-01", "700")), reviewers.agency)
    assert second.amount == Decimal("500.00")  # 1300 reaches the first tier


def test_b_h4_the_estimate_reads_already_paid_from_the_benefit_ledger(tree, reviewers):
    member = paid_member(tree.hutang_union)
    approved(member, hospital_facts(stay("2022-02-01", "6000")), reviewers.agency)
    answer = services.estimate(member, hospital_facts(stay("2022-04-01", "5000")))
    assert answer["already_paid"] == "1000.00"
    assert answer["entitlement"] == "1500.00" and answer["amount"] == "500.00"


def test_b_c3_critical_illness_is_paid_once_per_coverage_period(tree, reviewers):
    member = paid_member(tree.hutang_union)
    approved(member, illness_facts(), reviewers.agency, second=reviewers.district)
    answer = services.estimate(member, illness_facts(diagnosed_on="2022-09-01"))
    assert answer["amount"] == "0.00" and "already_paid" in answer["reasons"]


def test_b_w2_a_later_more_severe_grade_of_one_injury_pays_the_difference(tree, reviewers):
    member = paid_member(tree.hutang_union)
    first = approved(member, injury_facts(grade=7), reviewers.agency)
    assert first.amount == Decimal("500.00")
    later = approved(member, injury_facts(grade=3), reviewers.agency)
    assert later.amount == Decimal("2500.00")
    other_injury = services.estimate(member, injury_facts(grade=7, injured_on="2022-08-01"))
    assert other_injury["amount"] == "500.00"


# --- C2: states ------------------------------------------------------------------------------


ALLOWED = sorted((old, new) for old, news in rules.TRANSITIONS.items() for new in news)
REFUSED = sorted(
    (old, new) for old in S.values for new in S.values if new not in rules.TRANSITIONS[old]
)


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_c2_allowed_changes(old, new):
    rules.check_transition(old, new)


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_c2_refused_changes(old, new):
    with pytest.raises(rules.ClaimError):
        rules.check_transition(old, new)


def test_c2_returned_then_resent_then_approved_keeps_every_change(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = reviewed(member, hospital_facts(), reviewers.agency)
    services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="发票模糊，请重拍")
    with pytest.raises(services.ClaimError):
        services.approve(claim_id=claim.pk, actor=reviewers.agency)
    services.resend(claim_id=claim.pk, member=member, documents=documents(member)[:1])
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    claim = services.approve(claim_id=claim.pk, actor=reviewers.agency)
    steps = list(ClaimEvent.objects.filter(claim=claim).values_list("from_state", "to_state"))
    assert steps == [
        ("", S.SUBMITTED),
        (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.RETURNED),
        (S.RETURNED, S.SUBMITTED),
        (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.APPROVED),
    ]
    returned = ClaimEvent.objects.get(claim=claim, to_state=S.RETURNED)
    assert returned.actor == reviewers.agency and returned.reason == "发票模糊，请重拍"


def test_c2_a_rejected_claim_is_resubmitted_as_a_new_claim_linked_to_it(tree, reviewers):
    member = paid_member(tree.hutang_union)
    old = reviewed(member, hospital_facts(), reviewers.agency)
    services.reject(claim_id=old.pk, actor=reviewers.agency, reason="材料不全")
    new = submit(member, hospital_facts(), resubmission_of=old)
    assert new.pk != old.pk and new.resubmission_of_id == old.pk
    old.refresh_from_db()
    assert old.state == S.REJECTED


def test_c2_reject_and_return_need_a_reason(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = reviewed(member, hospital_facts(), reviewers.agency)
    for act in (services.reject, services.return_claim):
        with pytest.raises(services.ClaimError) as refused:
            act(claim_id=claim.pk, actor=reviewers.agency, reason="  ")
        assert refused.value.field == "reason"


def test_c2_needs_settlement_then_the_member_sends_the_settlement(tree, reviewers):
    member = paid_member(tree.hutang_union)
    pending = stay(self_pay="0", settlement_pending=True)
    claim = reviewed(member, hospital_facts(pending), reviewers.agency)
    with pytest.raises(services.ClaimError) as refused:
        services.approve(claim_id=claim.pk, actor=reviewers.agency)
    assert refused.value.code == "needs_settlement"
    services.needs_settlement(claim_id=claim.pk, actor=reviewers.agency)
    services.resend(claim_id=claim.pk, member=member, facts=hospital_facts(stay(self_pay="8000")))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    assert services.approve(claim_id=claim.pk, actor=reviewers.agency).amount == Decimal("1000.00")


# --- C3: approvals ---------------------------------------------------------------------------


def test_c3_nobody_approves_a_claim_they_submitted(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(), actor=reviewers.agency)
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    with pytest.raises(services.ClaimError) as refused:
        services.approve(claim_id=claim.pk, actor=reviewers.agency)
    assert refused.value.code == "own_submission"
    assert services.approve(claim_id=claim.pk, actor=reviewers.district).state == S.APPROVED


def test_c3_a_5000_claim_waits_for_a_second_approver_who_is_another_person(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = reviewed(member, illness_facts(), reviewers.district)
    claim = services.approve(claim_id=claim.pk, actor=reviewers.district)
    assert claim.state == S.AWAITING_SECOND and claim.amount == Decimal("5000.00")
    with pytest.raises(services.ClaimError) as refused:
        services.second_approve(claim_id=claim.pk, actor=reviewers.district)
    assert refused.value.code == "same_approver"
    claim = services.second_approve(claim_id=claim.pk, actor=reviewers.district_b)
    assert claim.state == S.APPROVED and claim.second_approved_by == reviewers.district_b


def test_c3_under_5000_needs_no_second_approval(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = approved(member, injury_facts(grade=3), reviewers.agency)
    assert claim.amount == Decimal("3000.00") and claim.state == S.APPROVED


def test_c3_a_second_approver_who_disagrees_sends_it_back_and_the_grant_is_reversed(
    tree, reviewers
):
    member = paid_member(tree.hutang_union)
    claim = reviewed(member, illness_facts(), reviewers.agency)
    services.approve(claim_id=claim.pk, actor=reviewers.agency)
    services.send_back_to_review(
        claim_id=claim.pk, actor=reviewers.district, reason="诊断医院等级需核实"
    )
    claim.refresh_from_db()
    assert claim.state == S.IN_REVIEW
    assert services.already_paid(member_id=member.pk, year=2022, benefit="critical_illness") == 0
    kinds = list(BenefitEntry.objects.filter(claim=claim).values_list("kind", "amount"))
    assert kinds == [("grant", Decimal("5000.00")), ("reversal", Decimal("-5000.00"))]


def test_s14_every_decision_pins_the_policy_version_and_its_explanation(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = approved(member, hospital_facts(), reviewers.agency)
    version = PolicyVersion.objects.filter(year=2022).latest("version")
    pinned = ClaimDecision.objects.get(claim=claim, step="approve")
    assert pinned.policy_version == version
    assert pinned.case["already_paid"] == "0.00"
    assert pinned.answer["amount"] == "1000.00"
    assert any("1000" in line for line in pinned.answer["explanation"])


# --- B-X1: exclusions ------------------------------------------------------------------------


def test_b_x1_an_excluded_stay_counts_nothing(tree, reviewers):
    member = paid_member(tree.hutang_union)
    facts = hospital_facts(stay("2022-02-01", "6000"), stay("2022-03-01", "6000"))
    claim = reviewed(member, facts, reviewers.agency)
    services.record_exclusions(
        claim_id=claim.pk, actor=reviewers.agency, exclusions={1: ["cosmetic"]}, reason="整容"
    )
    claim = services.approve(claim_id=claim.pk, actor=reviewers.agency)
    assert claim.amount == Decimal("1000.00")  # 6000 counted, not 12000


def test_b_x2_critical_illness_exclusions_are_its_own(tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = reviewed(member, illness_facts(), reviewers.agency)
    with pytest.raises(services.ClaimError):
        services.record_exclusions(
            claim_id=claim.pk, actor=reviewers.agency, exclusions=["cosmetic"], reason="x"
        )
    services.record_exclusions(
        claim_id=claim.pk, actor=reviewers.agency, exclusions=["pre_existing"], reason="既往症"
    )
    with pytest.raises(services.ClaimError) as refused:
        services.approve(claim_id=claim.pk, actor=reviewers.agency)
    assert refused.value.code == "nothing_payable"


# --- C6: signals -----------------------------------------------------------------------------


def codes(claim):
    return [signal.code for signal in services.claim_signals(claim)]


def test_c6_the_same_invoice_number_in_two_claims_is_a_signal_not_a_refusal(tree):
    member = paid_member(tree.hutang_union)
    other = paid_member(tree.hutang_union_b, name="钱七")
    first = submit(member, hospital_facts(stay("2022-03-01")), invoices=["FP-0001"])
    second = submit(other, hospital_facts(stay("2022-07-01")), invoices=["FP-0001"])
    assert second.state == S.SUBMITTED
    assert "duplicate_invoice" in codes(second) and "duplicate_invoice" in codes(first)
    assert f"#{first.pk}" in services.claim_signals(second)[0].text


@pytest.mark.parametrize(
    "typed",
    ["fp-0001", "FP - 0001", "ＦＰ－０００１", "FP-\u200b0001", "\u202eFP-0001", "FP-0001\u00a0"],
)
def test_c6_an_invoice_number_typed_otherwise_is_still_the_same_number(tree, typed):
    member = paid_member(tree.hutang_union)
    other = paid_member(tree.hutang_union_b, name="钱七")
    first = submit(member, hospital_facts(stay("2022-03-01")), invoices=["FP-0001"])
    second = submit(other, hospital_facts(stay("2022-07-01")), invoices=[typed])
    assert second.stays.get().invoice_number == "FP-0001"
    assert "duplicate_invoice" in codes(second) and "duplicate_invoice" in codes(first)


def test_c6_a_hospital_name_keeps_no_direction_override(tree):
    member = paid_member(tree.hutang_union)
    claim = services.submit_claim(
        member=member,
        facts=hospital_facts(),
        documents=documents(member),
        stays=[services.StayDetails(hospital="武进\u202e院医民人\u200b ")],
    )
    assert claim.stays.get().hospital == "武进院医民人"


def test_c6_overlapping_stays_are_a_signal(tree):
    member = paid_member(tree.hutang_union)
    submit(member, hospital_facts(stay("2022-03-01")), discharged=[DAY(2022, 3, 10)])
    second = submit(member, hospital_facts(stay("2022-03-08")), discharged=[DAY(2022, 3, 12)])
    third = submit(member, hospital_facts(stay("2022-04-01")), discharged=[DAY(2022, 4, 3)])
    assert "overlapping_stays" in codes(second)
    assert "overlapping_stays" not in codes(third)


def test_c6_a_claim_soon_after_signing_is_a_signal(tree):
    member = paid_member(tree.hutang_union)  # signed 2021-11-01
    early = submit(member, hospital_facts(stay("2022-01-10")))
    late = submit(member, hospital_facts(stay("2022-06-10")))
    assert "soon_after_signing" in codes(early)
    assert "soon_after_signing" not in codes(late)


def test_c6_a_stay_before_the_coverage_period_is_a_signal(tree):
    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay("2021-12-20"), stay("2022-02-01")))
    assert "before_coverage" in codes(claim)


# --- C5: the member is told ----------------------------------------------------------------


def test_c5_the_member_is_texted_at_each_change_that_matters(
    tree, reviewers, django_capture_on_commit_callbacks
):
    member = paid_member(tree.hutang_union)
    with django_capture_on_commit_callbacks(execute=True):
        claim = submit(member, hospital_facts())
        services.start_review(claim_id=claim.pk, actor=reviewers.agency)
        services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="请补充出院小结")
    texts = [text for _phone, text in OutboxSender.outbox]
    assert len(texts) == 2  # received, returned; starting the review is internal
    assert "请补充出院小结" in texts[1] and f"#{claim.pk}" in texts[1]
    assert services.notify.send(ClaimEvent.objects.filter(claim=claim).last().pk) is False
