"""SPEC §10: the calculator's JSON text, read the same way by the API and `huzhu calc`.

UTF-8 only (a UTF-8 byte-order mark is ignored), faults said in Chinese with line and column,
and no string that is not text (a lone surrogate) gets past the reader."""

import json
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huzhu.policy.calculator import CalculatorInputError
from huzhu.policy.cases import CaseError, parse_case
from huzhu.policy.jsontext import load_json
from tests.policy.conftest import hospital, stay

# The json module's own words; none may reach a user.
ENGLISH = re.compile(r"Expecting|delimiter|Extra data|Unterminated|Invalid|codec|char \d")
WORK_INJURY = '{"year": 2022, "benefit": "work_injury", "injured_on": "2022-05-01", "grade": 3}'


def illness_case(**fields):
    return {
        "year": 2022,
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": "2022-06-01",
        "hospital": {"in_changzhou": True, "grade": 3},
        **fields,
    }


def refused(text) -> CaseError:
    with pytest.raises(CaseError) as error:
        load_json(text)
    return error.value


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"benefit": "\\ud800", "year": 2022}', "benefit"),
        ('{"benefit": "critical_illness", "illness": "\\ud800"}', "illness"),
        ('{"illness": "恶性肿瘤\\udfff"}', "illness"),
        ('{"diagnosed_on": "2022-06-01\\udc00"}', "diagnosed_on"),
        ('{"exclusions": ["fraud", "\\uDBFF"]}', "exclusions[1]"),
        ('{"episodes": [{"cause": "\\ud83d"}]}', "episodes[0].cause"),
        ('{"hospital": {"grade": "\\ude00\\ud83d"}}', "hospital.grade"),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field(text, field):
    error = refused(text)
    assert error.field == field and error.index == 0
    assert "\\u" in error.message and "半个字符" in error.message
    error.message.encode("utf-8")  # quoted as an escape: the message itself is text


def test_a_lone_surrogate_in_an_array_names_the_case():
    error = refused(f'[{WORK_INJURY}, {WORK_INJURY[:-1]}, "certificate_level": "\\ud800"}}]')
    assert (error.index, error.field) == (1, "certificate_level")


@pytest.mark.parametrize("key", ['"\\ud800"', '"grade\\udc00"'])
def test_a_lone_surrogate_in_a_field_name_is_not_valid_json(key):
    error = refused(f'{{"year": 2022, {key}: 3}}')
    assert error.field == ""
    assert error.message.startswith("不是有效的 JSON：字段名中含有 \\u")


def test_a_surrogate_pair_is_one_character_and_is_read():
    assert load_json('{"illness": "\\ud83d\\ude00"}') == {"illness": "\U0001f600"}
    # A backslash written out before "ud800" is text, not an escape.
    assert load_json('{"illness": "\\\\ud800"}') == {"illness": "\\ud800"}


@pytest.mark.parametrize(
    "text, message",
    [
        (WORK_INJURY + " xx", "不是有效的 JSON：第 1 行第 82 列附近有多余的内容。"),
        ('{"year" 2022}', "不是有效的 JSON：第 1 行第 9 列处应为冒号（:）。"),
        ("{year: 2022}", "不是有效的 JSON：第 1 行第 2 列处应为用双引号括起的字段名。"),
        (
            '[{"year": 2022}\n {"year": 2022}]',
            "不是有效的 JSON：第 2 行第 2 列处应为逗号（,）或右括号。",
        ),
        ("[1,", "不是有效的 JSON：第 1 行第 4 列处缺少一个值。"),
        ("", "不是有效的 JSON：第 1 行第 1 列处缺少一个值。"),
        ('{"illness": "恶性', "不是有效的 JSON：从第 1 行第 13 列开始的字符串缺少结尾的双引号。"),
        (
            '{"illness": "恶性\n肿瘤"}',
            "不是有效的 JSON：第 1 行第 16 列的字符串中有控制字符（如换行符、制表符），"
            "请写成 \\n 这样的转义。",
        ),
        ('{"illness": "\\x41"}', "不是有效的 JSON：第 1 行第 14 列有无效的反斜杠转义。"),
        ('{"illness": "\\u12"}', "不是有效的 JSON：第 1 行第 15 列有无效的反斜杠转义。"),
        ("\ufeff\ufeff{}", "不是有效的 JSON：第 1 行第 1 列附近有错误。"),
    ],
    ids=[
        "extra data",
        "no colon",
        "unquoted name",
        "no comma",
        "no value",
        "empty",
        "unterminated string",
        "line break in a string",
        "bad escape",
        "short unicode escape",
        "two byte-order marks",
    ],
)
def test_json_faults_are_said_in_chinese_with_line_and_column(text, message):
    error = refused(text.encode("utf-8"))
    assert error.field == ""
    assert error.message == message
    assert not ENGLISH.search(error.message)


def test_a_utf8_byte_order_mark_is_ignored_as_windows_tools_write_it():
    assert load_json(b"\xef\xbb\xbf" + WORK_INJURY.encode())["grade"] == 3
    assert load_json("\ufeff" + WORK_INJURY)["grade"] == 3


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_are_refused_asking_for_utf8(encoding):
    error = refused(WORK_INJURY.encode(encoding))
    assert error.message == (
        "不是有效的 JSON：内容是 UTF-16 或 UTF-32 编码，请以 UTF-8 编码保存或发送。"
    )


@pytest.mark.parametrize(
    "data, where",
    [
        ('{\n "illness": "恶性肿瘤"}'.encode("gbk"), "第 2 行第 14 列"),
        ('{"cause": "illnéss"}'.encode("latin-1"), "第 1 行第 16 列"),
        (b"\xff\xfa", "第 1 行第 1 列"),
    ],
    ids=["GBK", "Latin-1", "stray bytes"],
)
def test_text_that_is_not_utf8_is_refused_saying_where(data, where):
    error = refused(data)
    assert error.message == (
        f"不是有效的 JSON：{where}的文字不是 UTF-8 编码，请以 UTF-8 编码保存或发送。"
    )


# --- illness names: visible, no control or format characters --------------------------


@pytest.mark.parametrize(
    "name, words",
    [
        ("\u3000", "不能只有空白"),
        (" \u00a0\u2003 ", "不能只有空白"),
        ("\u3164", "不能只有空白"),  # Hangul filler: a letter that shows nothing
        ("\u2800", "不能只有空白"),  # braille blank
        ("\u200b", "\\u200b"),
        ("\x00", "\\u0000"),
        ("恶性肿瘤\x00", "\\u0000"),
        ("恶性\u200d肿瘤", "\\u200d"),
        ("\ufeff恶性肿瘤", "\\ufeff"),
        ("恶性肿瘤\u202e", "\\u202e"),
        ("恶性\n肿瘤", "\\u000a"),
        ("恶性\u2028肿瘤", "\\u2028"),
        ("\ud800", "\\ud800"),
        ("tag\U000e0041", "\\U000e0041"),
    ],
)
def test_illness_names_must_be_visible_without_control_or_format_characters(calc, name, words):
    with pytest.raises(CalculatorInputError) as error:
        calc(illness_case(illness=name))
    (only,) = error.value.errors
    assert only["field"] == "illness"
    assert words in only["message"]
    only["message"].encode("utf-8")


@pytest.mark.parametrize(
    "name", ["恶性肿瘤", " 恶性肿瘤 ", "C00", "恶性\u3000肿瘤", "\U0002a6a5病"]
)
def test_ordinary_illness_names_are_accepted(calc, name):
    assert calc(illness_case(illness=name))["decision"] in ("approved", "rejected")


def test_every_control_and_format_character_of_this_python_is_refused_in_an_illness():
    # A newer Unicode may add format characters: cases.py lists them by hand.
    categories = ("Cc", "Cf", "Cs", "Zl", "Zp")
    unseen = [
        chr(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in categories and chr(code) != "\n"
    ]
    accepted = []
    for character in unseen:
        try:
            parse_case(illness_case(illness=f"恶性{character}肿瘤"))
        except CaseError:
            continue
        accepted.append(f"U+{ord(character):04X}")
    assert len(unseen) > 2000 and accepted == []


# --- anything at all: an answer or an input error, and every word of it is text ----------

# Any character, lone surrogates included, with the troublesome ones drawn often.
TROUBLE = st.sampled_from(["\ud800", "\udfff", "\x00", "\x1f", "\u200b", "\u3000", "\ufeff"])
TEXT = st.lists(TROUBLE | st.characters(exclude_categories=()), max_size=12).map("".join)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "year",
    "benefit",
    "already_paid",
    "illness",
    "diagnosed_on",
    "first_diagnosed_on",
    "hospital",
    "exclusions",
    "injured_on",
    "grade",
    "certificate_level",
    "episodes",
]
STAY_FIELDS = [
    "admitted_on",
    "cause",
    "insurance_scope",
    "settled_self_pay",
    "unsettled_cost",
    "settlement_pending",
    "traffic_total_cost",
    "liability_ratio",
    "exclusions",
]
BASES = [
    hospital(stay(settled_self_pay="12000", cause="traffic_accident", traffic_total_cost="9")),
    illness_case(first_diagnosed_on="2022-01-05"),
    json.loads(WORK_INJURY),
]


@st.composite
def hostile_cases(draw):
    """A valid case with some fields, keys or stay fields replaced by anything at all."""
    case = json.loads(json.dumps(draw(st.sampled_from(BASES))))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "stay", "hospital", "key"]))
        if where == "top":
            case[draw(st.sampled_from(FIELDS))] = draw(VALUES)
        elif where == "stay" and isinstance(case.get("episodes"), list) and case["episodes"]:
            episode = case["episodes"][0]
            if isinstance(episode, dict):
                episode[draw(st.sampled_from(STAY_FIELDS))] = draw(VALUES)
        elif where == "hospital" and isinstance(case.get("hospital"), dict):
            case["hospital"][draw(st.sampled_from(["grade", "in_changzhou"]))] = draw(VALUES)
        else:
            case[draw(TEXT)] = draw(VALUES)
    return draw(st.sampled_from([case, [case], [BASES[2], case]]))


def answer_or_error(calc, payload: bytes):
    """What the API and the command do with a body: an answer, or errors (index, field,
    message). Raises anything else."""
    try:
        return calc(load_json(payload))
    except CaseError as error:
        return {"errors": [{"index": error.index, "field": error.field, "message": error.message}]}
    except CalculatorInputError as error:
        return {"errors": error.errors}


@given(payload=hostile_cases(), ascii_only=st.booleans())
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_any_json_structure_gets_an_answer_or_an_input_error_that_is_text(
    calc, payload, ascii_only
):
    body = json.dumps(payload, ensure_ascii=ascii_only, allow_nan=True)
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError:
        data = body.encode("utf-8", "surrogatepass")  # what a careless client would send
    answer = answer_or_error(calc, data)
    # Every message and explanation can be sent as UTF-8: no lone surrogate, no crash.
    json.dumps(answer, ensure_ascii=False).encode("utf-8")
    for error in answer.get("errors", []) if isinstance(answer, dict) else []:
        assert error["message"]
        if error["field"] == "":  # the reader's own words, nothing quoted from the input
            assert not ENGLISH.search(error["message"])
