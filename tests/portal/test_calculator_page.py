"""补助试算 through the pages: the same calculator behind the portal and the console."""

import re
import shutil

import pytest
from django.test import Client
from django.urls import reverse

from huzhu.calcfront.forms import StayFormSet
from huzhu.policy import services
from huzhu.policy.document import shipped_policy_files
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


DAMAGED = "本页表单已损坏（隐藏字段被改动），住院信息未能读取。请重新填写；如再次出现，请刷新页面。"
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")


def assert_fresh_stays(html: str) -> None:
    """One stay on the page, one in the template the browser copies for more."""
    assert 'name="stay-TOTAL_FORMS" value="1"' in html
    assert 'name="stay-0-admitted_on"' in html and 'name="stay-1-admitted_on"' not in html
    template = html.split('<template id="stay-template">', 1)[1].split("</template>", 1)[0]
    assert 'name="stay-__prefix__-admitted_on"' in template and "第 __number__ 次住院" in template


@pytest.mark.django_db
def test_the_page_opens_with_one_stay_and_a_template_for_more(client):
    html = client.get(reverse("portal:calculator")).content.decode()
    assert_fresh_stays(html)
    assert 'name="stay-MAX_NUM_FORMS" value="20"' in html
    assert html.count('<details class="stay"') == 2  # the stay and the template's


@pytest.mark.django_db
def test_stays_added_in_the_browser_are_all_calculated(client):
    # What the page sends after "add another" twice: indexes 0-2, TOTAL_FORMS 3.
    stays = [
        {"admitted_on": "2022-03-01", "settled_self_pay": "3000"},
        {"admitted_on": "2022-05-01", "settled_self_pay": "2000"},
        {"admitted_on": "2022-07-01", "settled_self_pay": "1000"},
    ]
    data = stay_data(*stays, **{"stay-INITIAL_FORMS": "1"})
    html = client.post(reverse("portal:calculator"), data).content.decode()
    assert "全年累计个人自理 6000.00 元" in html
    # The answer page keeps the three stays and lets the browser add a fourth.
    assert 'name="stay-TOTAL_FORMS" value="3"' in html and 'name="stay-2-admitted_on"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hidden",
    [
        {"TOTAL_FORMS": "abc"},
        {"TOTAL_FORMS": "-1"},
        {"TOTAL_FORMS": "0"},
        {"TOTAL_FORMS": ""},
        {"TOTAL_FORMS": "100000"},
        {"TOTAL_FORMS": "9" * 30},
        {"INITIAL_FORMS": "abc"},
        {"INITIAL_FORMS": "2"},
        None,
    ],
    ids=[
        "TOTAL_FORMS not a number",
        "negative",
        "zero",
        "empty",
        "100,000",
        "30 digits",
        "INITIAL_FORMS not a number",
        "more initial stays than stays",
        "no management form",
    ],
)
def test_a_tampered_stay_form_says_it_was_damaged_and_offers_fresh_stays(client, hidden):
    data = stay_data({"admitted_on": "2022-03-01", "settled_self_pay": "12000"})
    if hidden is None:
        for name in MANAGEMENT:
            del data[f"stay-{name}"]
    else:
        data.update({f"stay-{name}": value for name, value in hidden.items()})
    response = client.post(reverse("portal:calculator"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert DAMAGED in html
    assert "TOTAL_FORMS)" not in html and "INITIAL_FORMS)" not in html
    assert "预计本次可领补助" not in html
    # A fresh stay, as on first opening the page, so the next try works.
    assert_fresh_stays(html)


@pytest.mark.django_db
def test_a_thousand_posted_stays_build_at_most_twenty_forms(client):
    # 1,000 forms claimed and as many filled as Django's 1,000-field limit lets through.
    stays = [{"admitted_on": "2022-03-01", "settled_self_pay": "100"}] * 190
    data = stay_data(*stays, **{"stay-TOTAL_FORMS": "1000"})
    assert len(StayFormSet(data, prefix="stay").forms) == 20
    response = client.post(reverse("portal:calculator"), data)
    html = response.content.decode()
    assert DAMAGED in html
    assert_fresh_stays(html)


@pytest.mark.django_db
def test_a_thousand_filled_stays_are_refused_by_the_field_limit_not_a_500(client):
    client.raise_request_exception = False
    stays = [{"admitted_on": "2022-03-01", "settled_self_pay": "100"}] * 1000
    response = client.post(reverse("portal:calculator"), stay_data(*stays))
    assert response.status_code == 400 and b"Traceback" not in response.content


@pytest.mark.django_db
def test_twenty_stays_is_the_most_the_page_takes_and_they_are_calculated(client):
    stays = [{"admitted_on": "2022-03-01", "settled_self_pay": "600"}] * 20
    html = client.post(reverse("portal:calculator"), stay_data(*stays)).content.decode()
    assert DAMAGED not in html
    assert "全年累计个人自理 12000.00 元" in html


@pytest.mark.django_db
def test_staff_calculator_says_a_damaged_form_plainly_too(client, people):
    sign_in(client, people.hutang_admin)
    data = stay_data({"admitted_on": "2022-03-01"}, **{"stay-TOTAL_FORMS": "abc"})
    html = client.post(reverse("console:calculator"), data).content.decode()
    assert DAMAGED in html and "TOTAL_FORMS)" not in html


@pytest.mark.django_db
def test_no_stay_at_all_is_asked_for_in_plain_words(client):
    html = client.post(reverse("portal:calculator"), stay_data({})).content.decode()
    assert "请至少填写 1 次住院。" in html and "请至少提交" not in html


@pytest.mark.django_db
def test_a_tampered_subsidy_choice_is_shown_as_an_error(client):
    data = stay_data({"admitted_on": "2022-03-01"}, benefit="dental")
    html = client.post(reverse("portal:calculator"), data).content.decode()
    assert "选择一个有效的选项" in html and "dental" in html


@pytest.mark.django_db
def test_b_c1_a_first_diagnosis_after_this_one_is_explained_on_the_page(client):
    data = {
        "year": "2022",
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": "2022-06-01",
        "first_diagnosed_on": "2022-07-01",
        "hospital_in_changzhou": "yes",
        "hospital_grade": "3",
        **{
            f"stay-{name}": value
            for name, value in zip(MANAGEMENT, ("5", "1", "1", "20"), strict=True)
        },
    }
    html = client.post(reverse("portal:calculator"), data).content.decode()
    assert "首次确诊日期（2022-07-01）不能晚于本次确诊日期（2022-06-01）" in html
    assert "暂无可领补助" in html


@pytest.fixture
def policy_dir(tmp_path, monkeypatch):
    for path in [
        *shipped_policy_files(),
        shipped_policy_files()[0].parent / "critical-illnesses.csv",
    ]:
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(services, "shipped_policy_files", lambda: sorted(tmp_path.glob("*.toml")))
    return tmp_path


@pytest.mark.django_db
def test_the_reused_blank_page_follows_a_new_illness_list(client, policy_dir):
    assert "新增疾病" not in client.get(reverse("portal:calculator")).content.decode()
    with open(policy_dir / "critical-illnesses.csv", "a", encoding="utf-8") as handle:
        handle.write("new_illness,新增疾病,\n")
    services.sync_shipped_policies()
    assert '<option value="新增疾病">新增疾病</option>' in (
        client.get(reverse("portal:calculator")).content.decode()
    )


@pytest.mark.django_db
def test_each_opening_of_the_reused_page_has_its_own_csrf_token():
    tokens = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        html = browser.get(reverse("portal:calculator")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(token)
        data = stay_data({"admitted_on": "2022-03-01", "settled_self_pay": "12000"})
        response = browser.post(
            reverse("portal:calculator"), {**data, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 200 and "预计本次可领补助" in response.content.decode()
    assert tokens[0] != tokens[1]


@pytest.mark.django_db
def test_stays_added_in_the_browser_and_left_empty_are_skipped(client):
    # Two stays added and the middle one left as it came (its choices at their defaults).
    data = stay_data(
        {"admitted_on": "2022-03-01", "settled_self_pay": "3000"},
        {},
        {"admitted_on": "2022-07-01", "settled_self_pay": "2500"},
        **{"stay-INITIAL_FORMS": "1"},
    )
    response = client.post(reverse("portal:calculator"), data)
    assert response.status_code == 200
    assert "全年累计个人自理 5500.00 元" in response.content.decode()
