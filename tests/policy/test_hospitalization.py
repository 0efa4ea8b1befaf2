"""SPEC B-H1 … B-H4, B0 and B-X1 for hospital stays, in 2022."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.conftest import hospital, stay

# SPEC B-H3, typed from the notice: (lower bound included, yearly subsidy).
TIERS = [
    (1000, 500),
    (5000, 1000),
    (10000, 1500),
    (15000, 2000),
    (20000, 2500),
    (25000, 3000),
    (30000, 4000),
    (35000, 5000),
    (40000, 7000),
    (45000, 10000),
    (50000, 15000),
    (100000, 20000),
]


def spec_tier(total: Decimal) -> Decimal:
    amount = Decimal(0)
    for lower, subsidy in TIERS:
        if total >= lower:
            amount = Decimal(subsidy)
    return amount


@pytest.mark.parametrize("index", range(len(TIERS)))
def test_b_h3_each_tier_boundary_on_both_sides(calc, index):
    lower, subsidy = TIERS[index]
    below = TIERS[index - 1][1] if index else 0
    at = calc(hospital(stay(settled_self_pay=str(lower))))
    assert at["amount"] == f"{subsidy}.00" and at["decision"] == "approved"
    under = calc(hospital(stay(settled_self_pay=f"{lower - 1}.99")))
    assert under["amount"] == f"{below}.00"


def test_b_h3_below_1000_nothing(calc):
    result = calc(hospital(stay(settled_self_pay="999.99")))
    assert result["decision"] == "rejected"
    assert result["reasons"] == ["below_threshold"]
    assert result["counted_self_pay"] == "999.99"


def test_b_h3_far_above_the_top_tier(calc):
    assert calc(hospital(stay(settled_self_pay="1000000")))["amount"] == "20000.00"


def test_b_h1_settled_self_pay_counts_in_full(calc):
    result = calc(hospital(stay(settled_self_pay="6200")))
    assert result["episodes"] == [{"counted": "6200.00", "rule": "settled"}]
    assert result["amount"] == "1000.00"
    assert any("6200.00" in line for line in result["explanation"])


def test_b_h1_other_province_settlement_counts_the_same(calc):
    result = calc(hospital(stay(settled_self_pay="6200", insurance_scope="other_province")))
    assert result["counted_self_pay"] == "6200.00"
    assert any("所提供的结算资料" in line for line in result["explanation"])


def test_b_h1_unsettled_cost_counts_34_percent_rounded_half_up_to_the_fen(calc):
    # 10.25 × 34% = 3.485 → 3.49 (half up; banker's rounding would give 3.48)
    result = calc(hospital(stay(unsettled_cost="10.25")))
    assert result["episodes"][0] == {"counted": "3.49", "rule": "unsettled"}


def test_b_h1_settled_and_unsettled_parts_add_up(calc):
    result = calc(hospital(stay(settled_self_pay="800", unsettled_cost="1000")))
    assert result["episodes"][0] == {"counted": "1140.00", "rule": "settled_and_unsettled"}
    assert result["amount"] == "500.00"


def test_b_h1_traffic_accident_counts_54_5_percent_of_the_liability_share(calc):
    result = calc(
        hospital(stay(cause="traffic_accident", traffic_total_cost="20000", liability_ratio="0.7"))
    )
    assert result["episodes"][0] == {"counted": "7630.00", "rule": "traffic_accident"}
    assert result["amount"] == "1000.00"


def test_b_h1_traffic_54_5_percent_rounds_half_up(calc):
    # 1.00 × 1 × 54.5% = 0.545 → 0.55
    result = calc(hospital(stay(cause="traffic_accident", traffic_total_cost="1")))
    assert result["episodes"][0]["counted"] == "0.55"


def test_b0_percentages_are_rounded_per_stay_not_on_the_sum(calc):
    # 999.82 + 0.085→0.09 + 0.085→0.09 = 1000.00 reaches the first tier; rounding the sum
    # (999.82 + 0.17) would not.
    result = calc(
        hospital(
            stay(settled_self_pay="999.82"),
            stay(unsettled_cost="0.25"),
            stay(unsettled_cost="0.25"),
        )
    )
    assert result["counted_self_pay"] == "1000.00"
    assert result["amount"] == "500.00"


def test_b_h1_a_stay_not_yet_settled_asks_to_settle_first(calc):
    result = calc(hospital(stay(settlement_pending=True, settled_self_pay="9000")))
    assert result["decision"] == "needs_settlement"
    assert result["amount"] == "0.00"
    assert result["episodes"][0]["rule"] == "needs_settlement"
    assert any("医保中心结算" in line for line in result["explanation"])


def test_b_h1_a_pending_stay_does_not_hold_back_the_settled_ones(calc):
    result = calc(hospital(stay(settled_self_pay="6000"), stay(settlement_pending=True)))
    assert result["decision"] == "approved" and result["amount"] == "1000.00"
    assert "needs_settlement" in result["reasons"]


def test_b_h1_a_work_injury_stay_counts_nothing(calc):
    result = calc(hospital(stay(cause="work_injury", settled_self_pay="50000")))
    assert result["counted_self_pay"] == "0.00"
    assert result["reasons"] == ["work_injury_stay", "below_threshold"]


def test_b_h2_a_stay_admitted_the_year_before_counts_there_not_here(calc):
    result = calc(
        hospital(
            stay("2021-12-28", settled_self_pay="8000"), stay("2022-01-02", settled_self_pay="3000")
        )
    )
    assert result["episodes"][0] == {"counted": "0.00", "rule": "outside_coverage_period"}
    assert result["counted_self_pay"] == "3000.00"
    assert "outside_coverage_period" in result["reasons"]
    assert result["amount"] == "500.00"


def test_b_h2_a_stay_admitted_in_december_counts_in_full_for_that_year(calc):
    # Discharged in the new year, but admitted on 30 December: the whole stay is 2022's.
    result = calc(hospital(stay("2022-12-30", settled_self_pay="12000")))
    assert result["amount"] == "1500.00"


def test_b_h4_each_claim_pays_the_new_tier_minus_what_was_paid(calc):
    first = calc(hospital(stay(settled_self_pay="6200")))
    assert first["amount"] == "1000.00"
    second = calc(
        hospital(
            stay(settled_self_pay="6200"),
            stay("2022-06-01", settled_self_pay="4000"),
            already_paid=first["amount"],
        )
    )
    assert (second["entitlement"], second["amount"]) == ("1500.00", "500.00")
    third = calc(
        hospital(
            stay(settled_self_pay="6200"),
            stay("2022-06-01", settled_self_pay="4000"),
            stay("2022-09-01", settled_self_pay="100"),
            already_paid="1500",
        )
    )
    assert third["amount"] == "0.00"
    assert third["reasons"] == ["already_paid"]


def test_b_h4_amount_is_never_below_zero(calc):
    # Overpaid before an exclusion was found (B-X3): nothing more, and no negative payout.
    result = calc(hospital(stay(settled_self_pay="6200"), already_paid="1500"))
    assert result["amount"] == "0.00" and result["entitlement"] == "1000.00"


GENERAL_EXCLUSIONS = [
    "fraud",
    "intoxication",
    "fighting",
    "self_harm",
    "crime",
    "drunk_driving",
    "unlicensed_driving",
    "unlicensed_vehicle",
    "health_check",
    "convalescence",
    "special_nursing",
    "rehabilitation",
    "physiotherapy",
    "cosmetic",
    "dental",
    "orthopedic",
    "sex_reassignment",
    "preventive_surgery",
    "complication",
    "bed_occupancy",
]


@pytest.mark.parametrize("code", GENERAL_EXCLUSIONS)
def test_b_x1_an_excluded_stay_counts_zero_toward_the_year(calc, code):
    result = calc(
        hospital(
            stay(settled_self_pay="30000", exclusions=[code]),
            stay("2022-05-01", settled_self_pay="5000"),
        )
    )
    assert result["episodes"][0] == {"counted": "0.00", "rule": "excluded"}
    assert code in result["reasons"]
    assert result["amount"] == "1000.00"


@pytest.mark.parametrize("cause", ["accident", "traffic_accident"])
def test_b_x1_orthopedic_after_an_accident_is_not_excluded(calc, cause):
    result = calc(hospital(stay(cause=cause, settled_self_pay="6000", exclusions=["orthopedic"])))
    assert result["amount"] == "1000.00" and result["reasons"] == []


def test_b_x1_orthopedic_after_an_illness_is_excluded(calc):
    result = calc(hospital(stay(settled_self_pay="6000", exclusions=["orthopedic"])))
    assert result["amount"] == "0.00" and "orthopedic" in result["reasons"]


def test_the_explanation_is_in_chinese_and_names_tier_and_payment(calc):
    result = calc(hospital(stay(settled_self_pay="12000"), already_paid="1000"))
    text = "\n".join(result["explanation"])
    assert "全年累计个人自理 12000.00 元" in text
    assert "10000.00 元（含）以上一档" in text
    assert "已支付 1000.00 元" in text and "本次应付 500.00 元" in text


amounts = st.decimals(min_value=0, max_value=60000, places=2, allow_nan=False, allow_infinity=False)
stays = st.lists(st.tuples(amounts, amounts, st.booleans()), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(stays=stays, data=st.data())
def test_b_h4_year_payouts_equal_the_tier_of_the_total_in_any_claim_order(calc, stays, data):
    episodes = [
        stay(
            f"2022-{month + 1:02d}-10",
            settled_self_pay=str(settled),
            **({"unsettled_cost": str(unsettled)} if with_unsettled else {}),
        )
        for month, (settled, unsettled, with_unsettled) in enumerate(stays)
    ]
    order = data.draw(st.permutations(range(len(episodes))))
    paid = Decimal(0)
    claimed = []
    for index in order:
        claimed.append(episodes[index])
        result = calc(hospital(*claimed, already_paid=str(paid)))
        assert Decimal(result["amount"]) >= 0
        paid += Decimal(result["amount"])
    total = sum(Decimal(e["counted"]) for e in calc(hospital(*episodes))["episodes"])
    assert paid == spec_tier(total)
