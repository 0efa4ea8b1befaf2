"""POST /api/v1/calculator against hostile input: bounded numbers, a capped request, a rate
limit for anonymous callers, and an OpenAPI document that says all of it."""

import json

import pytest

from huzhu.api.calculator_schema import MAX_BODY_BYTES, MAX_CASES
from huzhu.models import RateCounter
from tests.conftest import sign_in
from tests.policy.test_hostile_numbers import FIVE_THOUSAND, HOSTILE, case_text

URL = "/api/v1/calculator"


def post(client, body: str | bytes, **extra):
    return client.post(URL, body, content_type="application/json", **extra)


def injury(grade=3):
    return {"year": 2022, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": grade}


@pytest.mark.django_db
@pytest.mark.parametrize("literal", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_numbers_answer_422_naming_the_field(client, literal):
    response = post(client, case_text("settled_self_pay", literal))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "episodes[0].settled_self_pay"
    assert len(response.content) < 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a": ' * 100_000 + "1" + "}" * 100_000, b"\xff\xfe"],
    ids=["arrays 100,000 deep", "objects 100,000 deep", "not UTF-8"],
)
def test_json_that_cannot_be_read_answers_422(client, body):
    response = post(client, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("不是有效的 JSON")


@pytest.mark.django_db
def test_a_vanishing_liability_ratio_does_not_flood_the_answer(client):
    body = case_text("liability_ratio", "1e-999999").replace(
        '"cause"', '"traffic_total_cost": "20000", "cause"'
    )
    response = post(client, body)
    assert response.status_code == 200
    assert len(response.content) < 2000
    assert "本人责任比例 0%" in "".join(response.json()["explanation"])


@pytest.mark.django_db
def test_at_most_100_cases_in_one_request(client):
    assert post(client, json.dumps([injury()] * MAX_CASES)).status_code == 200
    response = post(client, json.dumps([injury()] * (MAX_CASES + 1)))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert "100" in error["message"] and "huzhu calc" in error["message"]


@pytest.mark.django_db
def test_90000_cases_are_refused_before_any_is_read(client):
    body = json.dumps([injury()] * 90_000)
    response = post(client, body)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert "1024 KiB" in response.json()["message"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_413_even_when_it_is_one_case(client):
    padding = " " * MAX_BODY_BYTES
    response = post(client, json.dumps(injury()) + padding)
    assert response.status_code == 413


@pytest.mark.django_db
def test_anonymous_callers_are_rate_limited_per_address(client, settings):
    settings.HUZHU_CALCULATOR_API_RATE = 3
    body = json.dumps(injury())
    answers = [post(client, body, REMOTE_ADDR="203.0.113.9") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert "秒后再试" in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address has its own count.
    assert post(client, body, REMOTE_ADDR="203.0.113.10").status_code == 200
    assert RateCounter.objects.filter(key="api:calc:203.0.113.9").get().count == 4


@pytest.mark.django_db
def test_signed_in_staff_are_not_rate_limited(client, settings, people):
    settings.HUZHU_CALCULATOR_API_RATE = 1
    sign_in(client, people.hutang_admin)
    body = json.dumps(injury())
    assert [post(client, body).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_the_openapi_document_states_the_limits(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/calculator"]["post"]
    assert {"200", "413", "422", "429"} <= set(operation["responses"])
    assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert "100 cases" in operation["description"] and "1024 KiB" in operation["description"]
    assert "60 requests a minute" in operation["description"]
    single, many = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert many["maxItems"] == MAX_CASES
    critical = next(
        s for s in single["oneOf"] if s["properties"]["benefit"]["const"] == "critical_illness"
    )
    illness = critical["properties"]["illness"]
    assert illness["minLength"] == 1 and illness["maxLength"] == 50
    amount = critical["properties"]["already_paid"]
    assert amount["exclusiveMaximum"] == 10**12 and "12" in amount["pattern"]


@pytest.mark.django_db
def test_an_empty_illness_is_invalid_for_the_document_and_the_server(client):
    response = post(
        client,
        json.dumps(
            {
                "year": 2022,
                "benefit": "critical_illness",
                "illness": "",
                "diagnosed_on": "2022-06-01",
                "hospital": {"grade": 3},
            }
        ),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "illness"


@pytest.mark.django_db
def test_a_five_thousand_digit_grade_is_not_echoed_back(client):
    response = post(client, json.dumps(injury()).replace("3}", FIVE_THOUSAND + "}"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grade"
    assert len(response.content) < 400
