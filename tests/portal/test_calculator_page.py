"""补助试算 through the pages: the same calculator behind the portal and the console."""

import re

import pytest
from django.urls import reverse

from tests.conftest import sign_in


def stay_data(*stays, **fields):
    data = {
        "year": "2022",
        "benefit": "hospitalization",
        "stay-TOTAL_FORMS": str(len(stays)),
        "stay-INITIAL_FORMS": "0",
        "stay-MIN_NUM_FORMS": "1",
        "stay-MAX_NUM_FORMS": "20",
    }
    for index, values in enumerate(stays):
        defaults = {"cause": "illness", "insurance_scope": "jiangsu", "liability_percent": "100"}
        for key, value in {**defaults, **values}.items():
            data[f"stay-{index}-{key}"] = value
    data.update(fields)
    return data


@pytest.mark.django_db
def test_member_estimates_without_signing_in(client):
    page = client.get(reverse("portal:calculator")).content.decode()
    assert "补助试算" in page and "第 1 次住院" in page
    html = client.post(
        reverse("portal:calculator"),
        stay_data({"admitted_on": "2022-03-01", "settled_self_pay": "12000"}),
    ).content.decode()
    assert "预计本次可领补助" in html
    assert '<div class="amount">1500.00' in html
    assert "属于 10000.00 元（含）以上一档" in html


@pytest.mark.django_db
def test_the_page_shows_the_calculators_amount_and_explanation(client):
    response = client.post(
        reverse("portal:calculator"),
        stay_data(
            {"admitted_on": "2022-03-01", "settled_self_pay": "6200"},
            {"admitted_on": "2022-06-01", "unsettled_cost": "10000"},
            already_paid="1000",
        ),
    )
    html = response.content.decode()
    # 6200 + 34% × 10000 = 9600 → tier 1000, already 1000 → nothing more now
    assert "全年累计个人自理 9600.00 元" in html
    assert "无法结算部分 10000.00 元按 34% 核算 = 3400.00 元" in html
    assert "暂无可领补助" in html


@pytest.mark.django_db
def test_traffic_accident_share_is_entered_as_a_percentage(client):
    response = client.post(
        reverse("portal:calculator"),
        stay_data(
            {
                "admitted_on": "2022-03-01",
                "cause": "traffic_accident",
                "traffic_total_cost": "20000",
                "liability_percent": "70",
            }
        ),
    )
    html = response.content.decode()
    assert "计入 7630.00 元" in html and "1000.00" in html


@pytest.mark.django_db
def test_work_injury_and_critical_illness_through_the_page(client):
    injury = client.post(
        reverse("portal:calculator"),
        stay_data(
            benefit="work_injury", injured_on="2022-05-01", grade="death", certificate_level="city"
        ),
    ).content.decode()
    assert "5000.00" in injury and "工亡" in injury
    illness = client.post(
        reverse("portal:calculator"),
        stay_data(
            benefit="critical_illness",
            illness="恶性肿瘤",
            diagnosed_on="2022-06-01",
            hospital_in_changzhou="no",
            hospital_grade="2",
        ),
    ).content.decode()
    assert "该医院不符合要求" in illness


@pytest.mark.django_db
def test_form_errors_name_the_field_in_chinese(client):
    response = client.post(
        reverse("portal:calculator"),
        stay_data({"admitted_on": "2022-13-01", "settled_self_pay": "-5"}),
    )
    html = response.content.decode()
    assert "入院日期：" in html
    assert "医保结算单上的个人自理（元）：" in html
    assert "预计本次可领补助" not in html


@pytest.mark.django_db
def test_required_answers_per_subsidy(client):
    html = client.post(
        reverse("portal:calculator"), stay_data(benefit="work_injury")
    ).content.decode()
    assert "工伤发生日期：必须填写" in html


@pytest.mark.django_db
def test_a_year_without_rules_says_so(client):
    html = client.post(
        reverse("portal:calculator"),
        stay_data({"admitted_on": "2021-03-01", "settled_self_pay": "6200"}, year="2021"),
    ).content.decode()
    assert "2021 保障年度没有补助规则" in html


@pytest.mark.django_db
def test_staff_console_has_the_same_calculator(client, people):
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:calculator"),
        stay_data({"admitted_on": "2022-03-01", "settled_self_pay": "100000"}),
    )
    assert "20000.00" in response.content.decode()


HOSTILE_TYPED = ["Infinity", "-Infinity", "NaN", "sNaN", "1e400", "-0", "9" * 29, "9" * 5000]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", HOSTILE_TYPED + ["1e-999999", "12.345"])
@pytest.mark.parametrize(
    "field, label",
    [
        ("settled_self_pay", "医保结算单上的个人自理（元）："),
        ("traffic_total_cost", "交通事故：住院总费用（元）："),
        ("already_paid", "本年度该项已领补助（元）："),
    ],
)
def test_hostile_amounts_are_form_errors_naming_the_field(client, field, label, typed):
    values = {"admitted_on": "2022-03-01", "cause": "traffic_accident"}
    extra = {}
    if field == "already_paid":
        extra["already_paid"] = typed
    else:
        values[field] = typed
    response = client.post(reverse("portal:calculator"), stay_data(values, **extra))
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.findall(r'<ul class="errorlist" role="alert"><li>(.*?)</li>', html)
    assert len(errors) == 1 and errors[0].startswith(label), errors
    assert "预计本次可领补助" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("typed", HOSTILE_TYPED + ["100.01", "1e-999999"])
def test_hostile_liability_shares_are_form_errors_naming_the_field(client, typed):
    values = {
        "admitted_on": "2022-03-01",
        "cause": "traffic_accident",
        "traffic_total_cost": "20000",
        "liability_percent": typed,
    }
    html = client.post(reverse("portal:calculator"), stay_data(values)).content.decode()
    errors = re.findall(r'<ul class="errorlist" role="alert"><li>(.*?)</li>', html)
    assert len(errors) == 1 and errors[0].startswith("交通事故：本人责任比例（%）："), errors


@pytest.mark.django_db
def test_the_explanation_shows_the_liability_share_as_the_member_typed_it(client):
    html = client.post(
        reverse("portal:calculator"),
        stay_data(
            {
                "admitted_on": "2022-03-01",
                "cause": "traffic_accident",
                "traffic_total_cost": "20000",
                "liability_percent": "50",
            }
        ),
    ).content.decode()
    assert "本人责任比例 50% × 54.5%" in html
    assert "0.5 ×" not in html


@pytest.mark.django_db
def test_staff_calculator_refuses_hostile_amounts_too(client, people):
    sign_in(client, people.hutang_admin)
    html = client.post(
        reverse("console:calculator"),
        stay_data({"admitted_on": "2022-03-01", "settled_self_pay": "sNaN"}),
    ).content.decode()
    assert "医保结算单上的个人自理（元）：请用数字填写金额（元）" in html


@pytest.mark.django_db
def test_a_megabyte_amount_is_refused_and_not_echoed_back(client):
    typed = "1" * 1_000_000
    response = client.post(
        reverse("portal:calculator"),
        stay_data({"admitted_on": "2022-03-01", "settled_self_pay": typed}, already_paid=typed),
    )
    html = response.content.decode()
    assert "医保结算单上的个人自理（元）：整数部分最多 12 位。" in html
    assert "本年度该项已领补助（元）：整数部分最多 12 位。" in html
    assert len(response.content) < 50_000
