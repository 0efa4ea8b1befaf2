"""SPEC §10: bad input names the case index and the field."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huzhu.policy.calculator import CalculatorInputError
from tests.policy.conftest import hospital, stay


@pytest.mark.parametrize(
    "case, field",
    [
        (hospital(stay(colour="red")), "episodes[0].colour"),
        ({**hospital(stay()), "extra": 1}, "extra"),
        (hospital(stay(cause="alien")), "episodes[0].cause"),
        (hospital(stay("2022-02-30")), "episodes[0].admitted_on"),
        (hospital(stay("1 March")), "episodes[0].admitted_on"),
        (hospital(stay(settled_self_pay="-1")), "episodes[0].settled_self_pay"),
        (hospital(stay(settled_self_pay="abc")), "episodes[0].settled_self_pay"),
        (hospital(stay(liability_ratio="1.01")), "episodes[0].liability_ratio"),
        (hospital(stay(exclusions=["unknown_code"])), "episodes[0].exclusions"),
        (hospital(stay(traffic_total_cost="100")), "episodes[0].traffic_total_cost"),
        (hospital(stay(), already_paid="-5"), "already_paid"),
        (
            {"year": 2022, "benefit": "work_injury", "injured_on": "2022-01-01", "grade": 11},
            "grade",
        ),
        (
            {
                "year": 2022,
                "benefit": "work_injury",
                "injured_on": "2022-01-01",
                "grade": 3,
                "certificate_level": "village",
            },
            "certificate_level",
        ),
        ({"year": 2022, "benefit": "dental"}, "benefit"),
        ({"benefit": "work_injury"}, "year"),
        (
            {
                "year": 2022,
                "benefit": "critical_illness",
                "illness": "癌症",
                "diagnosed_on": "2022-01-01",
                "hospital": {"grade": 4},
            },
            "hospital.grade",
        ),
        (
            {
                "year": 2022,
                "benefit": "critical_illness",
                "illness": "癌症",
                "diagnosed_on": "2022-01-01",
                "first_diagnosed_on": "2022-02-01",
                "hospital": {"grade": 3},
            },
            "first_diagnosed_on",
        ),
    ],
)
def test_bad_input_names_the_field(calc, case, field):
    with pytest.raises(CalculatorInputError) as error:
        calc(case)
    assert error.value.errors[0]["field"] == field
    assert error.value.errors[0]["index"] == 0
    assert error.value.errors[0]["message"]


def test_an_array_answers_in_order_and_errors_name_the_case_index(calc):
    good = hospital(stay(settled_self_pay="1000"))
    results = calc([good, good])
    assert [r["amount"] for r in results] == ["500.00", "500.00"]
    with pytest.raises(CalculatorInputError) as error:
        calc([good, hospital(stay(settled_self_pay="-1"))])
    assert [(e["index"], e["field"]) for e in error.value.errors] == [
        (1, "episodes[0].settled_self_pay")
    ]


def test_numbers_are_accepted_as_amounts(calc):
    result = calc(hospital(stay(settled_self_pay=6200.5)))
    assert result["counted_self_pay"] == "6200.50"


@pytest.mark.django_db
def test_calc_command_reads_a_file_and_prints_json(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([hospital(stay(settled_self_pay="12000"))]), "utf-8")
    out = io.StringIO()
    call_command("calc", str(path), stdout=out)
    (answer,) = json.loads(out.getvalue())
    assert answer["amount"] == "1500.00"


@pytest.mark.django_db
def test_calc_command_reads_stdin(monkeypatch):
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(json.dumps(hospital(stay(settled_self_pay=5000.10))))
    )
    out = io.StringIO()
    call_command("calc", "-", stdout=out)
    assert json.loads(out.getvalue())["counted_self_pay"] == "5000.10"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, words",
    [
        (
            '[{"year": 2022, "benefit": "hospitalization"}, '
            '{"year": 2022, "benefit": "work_injury", "injured_on": "2022-01-01", "grade": 11}]',
            ["[1]", "grade"],
        ),
        ("{not json", ["JSON"]),
    ],
)
def test_calc_command_exits_2_on_bad_input(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text, "utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("calc", str(path), stdout=io.StringIO(), stderr=err)
    assert error.value.returncode == 2
    for word in words:
        assert word in err.getvalue() + str(error.value)


def test_d1_amounts_are_taken_to_the_fen_as_they_come_in(calc):
    result = calc(hospital(stay(settled_self_pay="999.995"), already_paid="0.004"))
    assert result["counted_self_pay"] == "1000.00"
    assert (result["already_paid"], result["amount"]) == ("0.00", "500.00")
