"""SPEC M2–M5: what people really type is accepted and normalised; the rest is refused
with a message naming the problem."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huzhu.members.rules import (
    InvalidValue,
    clean_id_number,
    clean_name,
    clean_phone,
    clean_union_card,
    id_check_char,
    mask_id_number,
    mask_phone,
)

VALID_ID = "11010519491231002X"  # the GB 11643 standard's own example


def refused(clean, raw) -> str:
    with pytest.raises(InvalidValue) as error:
        clean(raw)
    return error.value.message


def test_m2_check_character_follows_gb11643():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002x ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105\u300019491231002X",
    ],
)
def test_m2_accepts_what_people_type(typed):
    assert clean_id_number(typed) == VALID_ID


def test_m2_wrong_check_character_is_named():
    assert "校验" in refused(clean_id_number, "110105194912310021")


def test_m2_fifteen_digit_ids_ask_for_the_eighteen_digit_number():
    assert "18" in refused(clean_id_number, "110105491231002")
    assert "15" in refused(clean_id_number, "110105491231002")


def test_m2_impossible_birth_date_is_refused():
    first17 = "32041219990231001"  # 31 February
    message = refused(clean_id_number, first17 + id_check_char(first17))
    assert "19990231" in message and "出生日期" in message


def test_m2_birth_date_in_the_future_is_refused():
    first17 = "32041220300101001"
    message = refused(clean_id_number, first17 + id_check_char(first17))
    assert "2030-01-01" in message
    assert clean_id_number(
        first17 + id_check_char(first17), today=datetime.date(2031, 1, 1)
    ).startswith("3204122030")


@pytest.mark.parametrize(
    "typed, word",
    [
        ("", "请输入"),
        ("1101051949123100", "18"),
        ("11010519491231002Y", "X"),
        ("99010519491231002X", "地区"),
    ],
)
def test_m2_other_malformed_ids_are_refused(typed, word):
    assert word in refused(clean_id_number, typed)


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_m2_every_generated_id_with_its_check_character_is_accepted(serial):
    first17 = f"320412{19800101 + serial % 10000:08d}"[:14] + f"{serial % 1000:03d}"
    try:
        datetime.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        return
    number = first17 + id_check_char(first17)
    assert clean_id_number(number) == number
    wrong = "0123456789X".replace(number[-1], "")[serial % 10]
    with pytest.raises(InvalidValue):
        clean_id_number(number[:-1] + wrong)


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "8613812345678",
        "+86-13812345678",
        "１３８１２３４５６７８",
    ],
)
def test_m3_accepts_what_people_type(typed):
    assert clean_phone(typed) == "13812345678"


@pytest.mark.parametrize(
    "typed, word",
    [
        ("0519-86123456", "固定电话"),
        ("12812345678", "13"),
        ("1381234567", "11"),
        ("138123456789", "11"),
        ("138abc45678", "数字"),
        ("", "请输入"),
    ],
)
def test_m3_refuses_with_the_reason(typed, word):
    assert word in refused(clean_phone, typed)


def test_m4_union_card_is_16_to_19_digits_without_spaces():
    assert clean_union_card("6231 6600 0000 0000 001") == "6231660000000000001"
    assert clean_union_card("6231660000000000") == "6231660000000000"
    assert "16" in refused(clean_union_card, "623166000000000")
    assert "16" in refused(clean_union_card, "62316600000000000001")
    assert "数字" in refused(clean_union_card, "6231-6600-0000-000A")


@pytest.mark.parametrize(
    "typed, clean",
    [
        ("  张三 ", "张三"),
        ("张  三", "张三"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("John Smith", "John Smith"),
        ("买买提・艾力", "买买提·艾力"),
    ],
)
def test_m5_names_are_normalised(typed, clean):
    assert clean_name(typed) == clean


@pytest.mark.parametrize(
    "typed, word",
    [
        ("张", "2"),
        ("张三3", "汉字"),
        ("·张三", "汉字"),
        ("", "请输入"),
        ("王" * 31, "30"),
    ],
)
def test_m5_names_are_refused_with_the_reason(typed, word):
    assert word in refused(clean_name, typed)


def test_s2_masks():
    assert mask_id_number("320412198506150012") == "320412********0012"
    assert mask_phone("13812345678") == "138****5678"


# --- the fast paths of the clean_* functions (roster import speed) --------------------


class _Typed(str):
    """A str subclass: the clean_* functions take their general path for it."""

    __slots__ = ()


def _outcome(clean, raw):
    try:
        return ("ok", clean(raw))
    except InvalidValue as exc:
        return ("refused", exc.message)


# Cells like a roster's, near the fast paths' edges: digits, X, CJK, Latin letters, the
# middle dot, full-width digits, spaces and separators.
_CELL = st.text(
    alphabet=st.sampled_from("0123456789Xx王李〇·• A-()１３８\u3000+\U00020000"), max_size=22
)
_VALID_IDS = st.integers(min_value=0, max_value=10**11 - 1).map(
    lambda n: (lambda first17: first17 + id_check_char(first17))(
        f"320412{19800101 + n % 28:08d}{n % 1000:03d}"
    )
)


@given(st.one_of(_CELL, _VALID_IDS, st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)))
def test_m2_to_m5_fast_paths_answer_as_the_general_path(raw):
    today = datetime.date(2026, 11, 24)
    for clean in (
        lambda value: clean_id_number(value, today=today),
        clean_phone,
        clean_union_card,
        clean_name,
    ):
        assert _outcome(clean, raw) == _outcome(clean, _Typed(raw))


def test_m2_id_check_character_needs_seventeen_characters():
    with pytest.raises(ValueError):
        id_check_char("1101051949123100")
