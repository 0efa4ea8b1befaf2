"""SPEC §10: bad input names the case index and the field."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings

from huzhu.policy.calculator import CalculatorInputError
from tests.policy.conftest import hospital, stay
from tests.policy.test_json_text import hostile_cases


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


# --- huzhu calc: the same reading as the API, and output that never fails to encode -------

WORK_INJURY = {"year": 2022, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": 3}


def run_calc(path, **streams):
    """huzhu calc on a file; returns (returncode, stdout, stderr) as text."""
    out, err = streams.get("stdout", io.StringIO()), streams.get("stderr", io.StringIO())
    try:
        call_command("calc", str(path), stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
        err.write(str(error))
    return code, out, err


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, said",
    [
        (
            '{"benefit":"\\ud800","year":2022}',
            "字段 benefit：含有 \\ud800，这是半个字符（不成对的代理项），不是有效的文字。",
        ),
        (
            '[{"year": 2022, "benefit": "critical_illness", "illness": "\\udc00"}]',
            "字段 illness：含有 \\udc00",
        ),
        ('{"\\ud800": 1}', "不是有效的 JSON：字段名中含有 \\ud800"),
    ],
    ids=["benefit", "illness", "a key"],
)
def test_calc_command_refuses_lone_surrogates_with_exit_2_naming_the_field(tmp_path, text, said):
    path = tmp_path / "surrogate.json"
    path.write_text(text, "ascii")
    code, _out, err = run_calc(path)
    assert code == 2
    assert said in err.getvalue()


@pytest.mark.django_db
def test_calc_command_reads_a_utf8_byte_order_mark_and_refuses_utf16_like_the_api(tmp_path):
    path = tmp_path / "cases.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(WORK_INJURY).encode())
    code, out, _err = run_calc(path)
    assert code == 0 and json.loads(out.getvalue())["amount"] == "3000.00"
    path.write_bytes(json.dumps(WORK_INJURY).encode("utf-16"))
    code, _out, err = run_calc(path)
    assert code == 2 and "UTF-16 或 UTF-32" in err.getvalue()


@pytest.mark.django_db
def test_calc_command_writes_the_same_json_to_an_output_that_cannot_take_chinese(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([WORK_INJURY, WORK_INJURY]), "utf-8")
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    code, out, _err = run_calc(path, stdout=latin)
    out.flush()
    text = out.buffer.getvalue().decode("latin-1")
    code_utf8, utf8, _err = run_calc(path)
    assert code == code_utf8 == 0
    assert text.isascii() and "\\u5de5" in text  # 工, escaped
    assert json.loads(text) == json.loads(utf8.getvalue())


@pytest.mark.django_db
def test_calc_command_reports_errors_to_an_output_that_cannot_take_chinese(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{**WORK_INJURY, "grade": 11}]), "utf-8")
    ascii_err = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    code, _out, err = run_calc(path, stderr=ascii_err)
    err.flush()
    said = err.buffer.getvalue().decode("ascii")
    assert code == 2 and "grade" in said and "\\u" in said


def test_calc_command_exits_2_with_escapes_on_a_terminal_without_chinese(tmp_path):
    """The whole program, as an operator runs it in a Latin-1 or ASCII locale: the refusal
    is printed with escapes, not a UnicodeEncodeError (nothing reaches the database)."""
    path = tmp_path / "surrogate.json"
    path.write_text('{"benefit": "\\ud800", "year": 2022}', "ascii")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(tmp_path / "data"),
        "PYTHONIOENCODING": "ascii",
    }
    result = subprocess.run(
        [sys.executable, "-m", "huzhu", "calc", str(path)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    said = result.stderr.decode("ascii")
    assert result.returncode == 2, said
    assert "Traceback" not in said and "benefit" in said and "\\ud800" in said


@pytest.mark.django_db
@given(payload=hostile_cases())
@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_calc_command_answers_any_json_structure_or_exits_2(tmp_path_factory, payload):
    path = tmp_path_factory.mktemp("sweep") / "cases.json"
    path.write_text(json.dumps(payload, allow_nan=True), "ascii")
    code, out, err = run_calc(path)
    assert code in (0, 2), err.getvalue()
    if code == 0:
        answer = json.loads(out.getvalue())
        assert isinstance(answer, list) == isinstance(payload, list)
    else:
        assert err.getvalue() and "Traceback" not in err.getvalue()
