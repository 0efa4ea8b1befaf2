"""The allowed values of every coded field are the same in the case parser, the calculator
forms and the OpenAPI document as served (one module of codes feeds all three)."""

import copy

import pytest

from huzhu.calcfront.forms import CalculatorForm, StayForm
from huzhu.policy import codes
from huzhu.policy.cases import EPISODE_FIELDS, TOP_FIELDS, CaseError, parse_case

CASES = {
    "hospitalization": {
        "year": 2022,
        "benefit": "hospitalization",
        "episodes": [{"admitted_on": "2022-03-01"}],
    },
    "critical_illness": {
        "year": 2022,
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": "2022-03-01",
        "hospital": {"grade": 3},
    },
    "work_injury": {
        "year": 2022,
        "benefit": "work_injury",
        "injured_on": "2022-03-01",
        "grade": 5,
    },
}
# (benefit, path of the field in the case, the form and its field offering it or None)
CODED_FIELDS = [
    ("hospitalization", ("episodes", 0, "cause"), (StayForm, "cause")),
    ("hospitalization", ("episodes", 0, "insurance_scope"), (StayForm, "insurance_scope")),
    ("critical_illness", ("hospital", "grade"), (CalculatorForm, "hospital_grade")),
    ("work_injury", ("grade",), (CalculatorForm, "grade")),
    ("work_injury", ("certificate_level",), (CalculatorForm, "certificate_level")),
]
# Values no list holds, of both types a code can have.
STRANGERS = ["", "nonsense", "Jiangsu", "0", "11", 0, 4.5, 11, -1, True, None]


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def case_schemas(document) -> dict[str, dict]:
    body = document["paths"]["/api/v1/calculator"]["post"]["requestBody"]
    one_case = body["content"]["application/json"]["schema"]["oneOf"][0]
    return {s["properties"]["benefit"]["const"]: s for s in one_case["oneOf"]}


def schema_at(case_schema: dict, path: tuple) -> dict:
    schema = case_schema
    for step in path:
        schema = schema["items"] if isinstance(step, int) else schema["properties"][step]
    return schema


def with_value(benefit: str, path: tuple, value) -> dict:
    case = copy.deepcopy(CASES[benefit])
    target = case
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return case


def parser_accepts(case: dict) -> bool:
    try:
        parse_case(case)
    except CaseError:
        return False
    return True


def form_values(form_class, name: str) -> set[str]:
    field = form_class.base_fields[name]
    return {str(value) for value, _label in field.choices if value != ""}


@pytest.mark.django_db
def test_the_documented_fields_are_the_parsed_fields(openapi):
    schemas = case_schemas(openapi)
    for benefit in codes.BENEFITS:
        assert set(schemas[benefit]["properties"]) == TOP_FIELDS[benefit], benefit
    episode = schema_at(schemas["hospitalization"], ("episodes", 0))
    assert set(episode["properties"]) == EPISODE_FIELDS


def test_the_base_cases_are_valid():
    for case in CASES.values():
        assert parser_accepts(case)


@pytest.mark.django_db
@pytest.mark.parametrize(("benefit", "path", "form_field"), CODED_FIELDS)
def test_parser_forms_and_openapi_allow_the_same_values(openapi, benefit, path, form_field):
    documented = schema_at(case_schemas(openapi)[benefit], path)["enum"]
    offered = form_values(*form_field)
    # The form sends text; a grade goes into the case as a number (build_case).
    candidates = [*documented, *offered, *(int(v) for v in offered if v.isdigit()), *STRANGERS]
    parsed = [v for v in candidates if parser_accepts(with_value(benefit, path, v))]
    # repr: the type counts too (the grade 3, not "3", as JSON Schema's enum says).
    assert {repr(v) for v in parsed} == {repr(v) for v in documented}, path
    assert {str(v) for v in documented} == offered, path
    assert len(set(map(str, documented))) == len(documented)


@pytest.mark.django_db
def test_benefits_are_the_same_everywhere(openapi):
    documented = set(case_schemas(openapi))
    assert documented == form_values(CalculatorForm, "benefit") == set(codes.BENEFITS)
    for benefit in [*codes.BENEFITS, "dental", "Hospitalization", ""]:
        case = {**CASES.get(benefit, CASES["work_injury"]), "benefit": benefit}
        assert parser_accepts(case) == (benefit in documented), benefit


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("benefit", "path"),
    [
        ("hospitalization", ("episodes", 0, "exclusions")),
        ("critical_illness", ("exclusions",)),
        ("work_injury", ("exclusions",)),
    ],
)
def test_exclusion_codes_are_the_same_in_parser_and_openapi(openapi, benefit, path):
    documented = schema_at(case_schemas(openapi)[benefit], path)["items"]["enum"]
    every_code = {*codes.GENERAL_EXCLUSIONS, *codes.CRITICAL_ILLNESS_EXCLUSIONS, "nonsense"}
    parsed = {c for c in every_code if parser_accepts(with_value(benefit, path, [c]))}
    assert parsed == set(documented)


@pytest.mark.django_db
def test_the_documented_answer_codes_are_the_calculators(openapi):
    schema = openapi["paths"]["/api/v1/calculator"]["post"]["responses"]["200"]
    result = schema["content"]["application/json"]["schema"]["oneOf"][0]["properties"]
    assert result["decision"]["enum"] == list(codes.DECISIONS)
    assert result["reasons"]["items"]["enum"] == list(codes.ALL_REASONS)
    assert result["episodes"]["items"]["properties"]["rule"]["enum"] == list(codes.STAY_RULES)
