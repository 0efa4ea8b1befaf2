"""POST /api/v1/calculator: the contract of SPEC §10 over HTTP."""

import json

import pytest

from huzhu.policy import codes
from huzhu.policy.document import read_policy_file, shipped_policy_files


def post(client, payload, raw=False):
    body = payload if raw else json.dumps(payload)
    return client.post("/api/v1/calculator", body, content_type="application/json")


@pytest.mark.django_db
def test_one_case_in_one_result_out(client):
    response = post(
        client,
        {
            "year": 2022,
            "benefit": "hospitalization",
            "already_paid": "500",
            "episodes": [{"admitted_on": "2022-03-01", "settled_self_pay": "12000"}],
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert (answer["amount"], answer["entitlement"], answer["counted_self_pay"]) == (
        "1000.00",
        "1500.00",
        "12000.00",
    )
    assert answer["episodes"] == [{"counted": "12000.00", "rule": "settled"}]


@pytest.mark.django_db
def test_an_array_answers_an_array_in_order(client):
    cases_in = [
        {"year": 2022, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": g}
        for g in (9, "death")
    ]
    answer = post(client, cases_in).json()
    assert [a["amount"] for a in answer] == ["300.00", "5000.00"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {"year": 2022, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": 11},
            "grade",
        ),
        (
            {
                "year": 2022,
                "benefit": "hospitalization",
                "episodes": [{"admitted_on": "2022-03-01", "liability_ratio": "2"}],
            },
            "episodes[0].liability_ratio",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(client, payload, field):
    response = post(client, [payload])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["index"] == 0


@pytest.mark.django_db
def test_malformed_json_is_422(client):
    response = post(client, "{oops", raw=True)
    assert response.status_code == 422
    assert "JSON" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_a_year_without_rules_is_rejected_not_an_error(client):
    answer = post(
        client, {"year": 2021, "benefit": "work_injury", "injured_on": "2021-05-01", "grade": 3}
    ).json()
    assert answer["decision"] == "rejected" and answer["reasons"] == ["no_policy_for_year"]


@pytest.mark.django_db
def test_the_calculator_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/calculator"]["post"]
    assert "422" in operation["responses"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["oneOf"][1]["type"] == "array"


def test_the_documented_exclusion_codes_are_those_of_the_shipped_policies():
    for path in shipped_policy_files():
        document, _digest = read_policy_file(path)
        tables = document.get("exclusions")
        if not tables:
            continue  # a year without benefit rules
        assert tuple(tables["general"]) == codes.GENERAL_EXCLUSIONS, path.name
        assert tuple(tables["critical_illness"]) == codes.CRITICAL_ILLNESS_EXCLUSIONS, path.name
