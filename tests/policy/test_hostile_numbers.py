"""SPEC §10: hostile numbers and shapes are input errors naming the field, never a crash,
and whatever is accepted gives a short answer. The command line exits 2 on each."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huzhu.policy.calculator import CalculatorInputError
from huzhu.policy.cases import CaseError
from huzhu.policy.jsontext import load_json
from tests.policy.conftest import hospital, stay

CJK = re.compile(r"[\u4e00-\u9fff]")
FIVE_THOUSAND = "9" * 5000

# JSON text of a value, as it would sit in a request body.
HOSTILE = {
    "Infinity literal": "Infinity",
    "minus Infinity literal": "-Infinity",
    "NaN literal": "NaN",
    "Infinity string": '"Infinity"',
    "NaN string": '"NaN"',
    "sNaN string": '"sNaN"',
    "1e400 number": "1e400",
    "1e400 string": '"1e400"',
    "exponent beyond Decimal": "1e99999999999999999999",
    "minus zero number": "-0",
    "minus zero decimal": "-0.0",
    "minus zero string": '"-0"',
    "29 digits number": "9" * 29,
    "29 digits string": f'"{"9" * 29}"',
    "5000 digits number": FIVE_THOUSAND,
    "5000 digits string": f'"{FIVE_THOUSAND}"',
    "5000 decimals string": f'"0.{FIVE_THOUSAND}"',
    "13 digits": "1000000000000",
    "exponent in a string": '"1e3"',
}


def case_text(field: str, literal: str) -> str:
    """A hospitalization case with `literal` (JSON text) as the value of `field`."""
    stay_fields = '"admitted_on": "2022-03-01", "cause": "traffic_accident"'
    if field == "already_paid":
        top = f'"already_paid": {literal}, '
    else:
        top, stay_fields = "", f'{stay_fields}, "{field}": {literal}'
    return f'{{"year": 2022, "benefit": "hospitalization", {top}"episodes": [{{{stay_fields}}}]}}'


def refusal(calc, text: str) -> dict:
    with pytest.raises(CalculatorInputError) as error:
        calc(load_json(text))
    (only,) = error.value.errors
    return only


@pytest.mark.parametrize("literal", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize(
    "field, path",
    [
        ("settled_self_pay", "episodes[0].settled_self_pay"),
        ("traffic_total_cost", "episodes[0].traffic_total_cost"),
        ("already_paid", "already_paid"),
    ],
)
def test_hostile_amounts_are_refused_naming_the_field(calc, field, path, literal):
    error = refusal(calc, case_text(field, literal))
    assert error["field"] == path
    assert CJK.search(error["message"]) and len(error["message"]) < 120


@pytest.mark.parametrize(
    "literal",
    ["Infinity", "NaN", '"sNaN"', "1e400", "-0", "1.5", '"2"', '"1e-999999"', FIVE_THOUSAND],
)
def test_hostile_liability_ratios_are_refused_naming_the_field(calc, literal):
    error = refusal(calc, case_text("liability_ratio", literal))
    assert error["field"] == "episodes[0].liability_ratio"
    assert "0.7" in error["message"]


def test_a_vanishing_liability_ratio_gives_a_short_explanation_in_percent(calc):
    text = case_text("liability_ratio", "1e-999999").replace(
        '"cause"', '"traffic_total_cost": "20000", "cause"'
    )
    result = calc(load_json(text))
    explanation = "".join(result["explanation"])
    assert len(explanation) < 1000
    assert "× 本人责任比例 0% ×" in explanation


def test_the_amount_bounds_are_12_integer_digits_and_any_decimals_are_rounded(calc):
    top = calc(load_json(case_text("settled_self_pay", '"999999999999.9999999999"')))
    assert top["counted_self_pay"] == "1000000000000.00"
    tiny = calc(load_json(case_text("settled_self_pay", "1e-999999")))
    assert tiny["counted_self_pay"] == "0.00"


@pytest.mark.parametrize(
    "text, field",
    [
        ("[" * 100_000 + "]" * 100_000, ""),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, ""),
        (b"\xff\xfe\xfa", ""),
    ],
    ids=["arrays 100,000 deep", "objects 100,000 deep", "not UTF-8"],
)
def test_json_that_cannot_be_read_is_an_input_error(text, field):
    with pytest.raises(CaseError) as error:
        load_json(text)
    assert error.value.field == field
    assert error.value.message.startswith("不是有效的 JSON")


@pytest.mark.parametrize(
    "case, field",
    [
        ({"year": 2022.5, "benefit": "work_injury"}, "year"),
        ({"year": 10**400, "benefit": "work_injury"}, "year"),
        (
            {"year": 2022, "benefit": "work_injury", "injured_on": "2022-01-01", "grade": True},
            "grade",
        ),
        (hospital(*[stay()] * 51), "episodes"),
        (hospital(stay(exclusions=["fraud"] * 21)), "episodes[0].exclusions"),
        (hospital(stay(exclusions=["pre_existing"])), "episodes[0].exclusions"),
        (hospital(stay(" 2022-03-01")), "episodes[0].admitted_on"),
        (hospital(stay("20220301")), "episodes[0].admitted_on"),
        (
            {
                "year": 2022,
                "benefit": "critical_illness",
                "illness": "x" * 51,
                "diagnosed_on": "2022-01-01",
                "hospital": {"grade": 3},
            },
            "illness",
        ),
        (
            {
                "year": 2022,
                "benefit": "critical_illness",
                "illness": "",
                "diagnosed_on": "2022-01-01",
                "hospital": {"grade": 3},
            },
            "illness",
        ),
    ],
    ids=[
        "fractional year",
        "400-digit year",
        "true as a grade",
        "51 stays",
        "21 exclusion codes",
        "a critical-illness code on a stay",
        "a date with a space",
        "a date without dashes",
        "a 51-character illness",
        "an empty illness",
    ],
)
def test_other_hostile_shapes_name_the_field(calc, case, field):
    with pytest.raises(CalculatorInputError) as error:
        calc(case)
    assert error.value.errors[0]["field"] == field


def test_a_huge_value_is_not_echoed_back_whole(calc):
    error = refusal(calc, case_text("cause", f'"{FIVE_THOUSAND}"'))
    assert error["field"] == "episodes[0].cause" and len(error["message"]) < 200


def test_whole_numbers_written_as_decimals_are_accepted_like_json_schema_does(calc):
    result = calc(
        load_json(
            '{"year": 2022.0, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": 3.0}'
        )
    )
    assert result["amount"] == "3000.00"


def test_repeated_exclusion_codes_count_once(calc):
    result = calc(hospital(stay(settled_self_pay="6000", exclusions=["fraud"] * 20)))
    assert result["reasons"] == ["fraud", "below_threshold"]
    assert len(result["explanation"]) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        case_text("settled_self_pay", "Infinity"),
        case_text("settled_self_pay", FIVE_THOUSAND),
        case_text("already_paid", '"sNaN"'),
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["Infinity", "5000 digits", "sNaN", "nested 100,000 deep"],
)
def test_calc_command_exits_2_on_hostile_input_without_a_traceback(tmp_path, text):
    path = tmp_path / "hostile.json"
    path.write_text(text, "utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("calc", str(path), stdout=io.StringIO(), stderr=err)
    assert error.value.returncode == 2
    said = err.getvalue() + str(error.value)
    assert "Traceback" not in said and len(said) < 500
    assert CJK.search(said)


@pytest.mark.django_db
def test_calc_command_exits_2_on_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps({"illness": "恶性肿瘤"}, ensure_ascii=False).encode("gbk"))
    with pytest.raises(CommandError) as error:
        call_command("calc", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert error.value.returncode == 2
