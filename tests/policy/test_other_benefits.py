"""SPEC B-C1 … B-C3, B-X2 (critical illness) and B-W1, B-W2 (work injury), 2022."""

import pytest

from huzhu.calcfront.answers import calculate_payload
from huzhu.policy.document import parse_policy, read_policy_file, shipped_policy_files


def illness(name="恶性肿瘤", diagnosed_on="2022-06-01", in_changzhou=True, grade=2, **more):
    return {
        "year": 2022,
        "benefit": "critical_illness",
        "illness": name,
        "diagnosed_on": diagnosed_on,
        "hospital": {"in_changzhou": in_changzhou, "grade": grade},
        **more,
    }


def injury(grade=3, level="city", injured_on="2022-05-01", **more):
    return {
        "year": 2022,
        "benefit": "work_injury",
        "injured_on": injured_on,
        "grade": grade,
        "certificate_level": level,
        **more,
    }


@pytest.mark.parametrize("name", ["恶性肿瘤", "malignant_tumor", "癌症", "尿毒症", "主动脉手术"])
def test_b_c1_a_listed_illness_by_name_code_or_alias_pays_5000(calc, name):
    result = calc(illness(name))
    assert (result["decision"], result["amount"]) == ("approved", "5000.00")
    assert "counted_self_pay" not in result and "episodes" not in result


def test_b_c1_the_list_has_the_thirty_illnesses(policies):
    assert len(policies[2022].critical_illness.illnesses) == 30


def test_b_c1_an_illness_not_on_the_list_pays_nothing(calc):
    result = calc(illness("高血压"))
    assert result["reasons"] == ["not_listed_illness"] and result["amount"] == "0.00"


@pytest.mark.parametrize(
    "in_changzhou, grade, paid",
    [
        (True, 3, True),
        (True, 2, True),
        (True, 1, False),
        (False, 3, True),
        (False, 2, False),
        (False, 1, False),
    ],
)
def test_b_c2_diagnosing_hospital_grade(calc, in_changzhou, grade, paid):
    result = calc(illness(in_changzhou=in_changzhou, grade=grade))
    assert (result["amount"] == "5000.00") is paid
    assert ("hospital_grade" in result["reasons"]) is not paid


def test_b_c3_at_most_once_per_coverage_period(calc):
    result = calc(illness(already_paid="5000"))
    assert result["amount"] == "0.00" and result["reasons"] == ["already_paid"]


def test_b_c3_first_diagnosed_before_the_coverage_period_is_pre_existing(calc):
    result = calc(illness(first_diagnosed_on="2021-11-20"))
    assert result["reasons"] == ["pre_existing"] and result["amount"] == "0.00"


def test_b_c1_first_diagnosed_on_defaults_to_diagnosed_on(calc):
    assert calc(illness(diagnosed_on="2021-12-31"))["reasons"] == ["pre_existing"]
    assert calc(illness(diagnosed_on="2022-01-01"))["amount"] == "5000.00"


def test_b_c1_a_first_diagnosis_after_this_one_is_rejected_explaining_the_dates(calc):
    result = calc(illness(first_diagnosed_on="2022-07-01", name="不在名单的病", grade=1))
    assert (result["decision"], result["amount"]) == ("rejected", "0.00")
    # The contradiction replaces the coverage check; the other conditions still show.
    assert result["reasons"] == [
        "not_listed_illness",
        "first_diagnosis_after_diagnosis",
        "hospital_grade",
    ]
    assert result["explanation"][1] == (
        "首次确诊日期（2022-07-01）不能晚于本次确诊日期（2022-06-01）：请核对这两个日期后重新试算。"
    )


def test_b_c1_a_first_diagnosis_on_the_day_of_this_one_is_consistent(calc):
    assert calc(illness(first_diagnosed_on="2022-06-01"))["amount"] == "5000.00"


@pytest.mark.parametrize("code", ["pre_existing", "concealment", "misdiagnosis", "fraud"])
def test_b_x2_critical_illness_exclusions(calc, code):
    result = calc(illness(exclusions=[code]))
    assert code in result["reasons"] and result["amount"] == "0.00"


def test_b_x2_a_hospital_exclusion_is_not_a_critical_illness_code(calc):
    from huzhu.policy.calculator import CalculatorInputError

    with pytest.raises(CalculatorInputError) as error:
        calc(illness(exclusions=["intoxication"]))
    assert error.value.errors[0]["field"] == "exclusions"


# SPEC B-W1, typed from the notice.
WORK_INJURY = {
    "death": 5000,
    1: 5000,
    2: 5000,
    3: 3000,
    4: 3000,
    5: 2000,
    6: 2000,
    7: 500,
    8: 500,
    9: 300,
    10: 300,
}


@pytest.mark.parametrize("grade", list(WORK_INJURY))
def test_b_w1_each_grade_pays_its_amount(calc, grade):
    result = calc(injury(grade))
    assert result["amount"] == f"{WORK_INJURY[grade]}.00"


@pytest.mark.parametrize("level, accepted", [("county", False), ("city", True), ("province", True)])
def test_b_w1_certificate_from_city_level_or_above(calc, level, accepted):
    result = calc(injury(level=level))
    assert (result["amount"] == "3000.00") is accepted
    assert ("certificate_level" in result["reasons"]) is not accepted


def test_b_w2_a_later_more_severe_grade_pays_the_difference(calc):
    first = calc(injury(7))
    later = calc(injury(3, already_paid=first["amount"]))
    assert later["amount"] == "2500.00" and later["entitlement"] == "3000.00"


def test_b_w2_a_later_milder_grade_pays_nothing_more(calc):
    result = calc(injury(9, already_paid="3000"))
    assert result["amount"] == "0.00" and result["reasons"] == ["already_paid"]


def test_b0_an_injury_outside_the_coverage_period_pays_nothing(calc):
    result = calc(injury(injured_on="2023-01-01"))
    assert result["reasons"] == ["outside_coverage_period"]


@pytest.mark.parametrize("code", ["drunk_driving", "fighting", "crime"])
def test_b_x1_work_injury_exclusions(calc, code):
    result = calc(injury(exclusions=[code]))
    assert result["reasons"] == [code] and result["amount"] == "0.00"


@pytest.mark.parametrize(
    "case",
    [
        {"year": 2021, "benefit": "work_injury", "injured_on": "2021-05-01", "grade": 3},
        {
            "year": 2021,
            "benefit": "hospitalization",
            "episodes": [{"admitted_on": "2021-05-01", "settled_self_pay": "9000"}],
        },
        {
            "year": 2030,
            "benefit": "critical_illness",
            "illness": "癌症",
            "diagnosed_on": "2030-02-01",
            "hospital": {"grade": 3},
        },
    ],
)
def test_p3_a_year_without_benefit_rules_answers_no_policy_for_year(calc, case):
    result = calc(case)
    assert result["decision"] == "rejected"
    assert result["reasons"] == ["no_policy_for_year"]
    assert "没有补助规则" in result["explanation"][0]


def test_b_w1_the_certificate_refusal_names_the_levels_of_the_policy(calc):
    result = calc(injury(level="county"))
    assert result["explanation"][0] == (
        "须凭设区的市级及以上劳动能力鉴定委员会出具的鉴定书；县（区）级鉴定书不予受理。"
    )


def test_b_w1_a_policy_asking_for_province_level_says_so(policies):
    document, _digest = read_policy_file(
        next(p for p in shipped_policy_files() if p.stem == "2022")
    )
    document["work_injury"]["min_certificate_level"] = "province"
    stricter = {**policies, 2022: parse_policy(document, "stricter")}
    result = calculate_payload(injury(level="city"), stricter)
    assert result["reasons"] == ["certificate_level"]
    assert "须凭省级及以上" in result["explanation"][0]
    assert "设区的市级鉴定书不予受理" in result["explanation"][0]
