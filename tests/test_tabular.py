"""Reading uploaded tables (SPEC X3, used by the targets importer and, later, rosters)."""

import io

import pytest
from msoffcrypto.method.ecma376_agile import ECMA376Agile
from openpyxl import Workbook

from huzhu.tabular import CONTROL, PasswordError, TableError, parse_whole_number, read_rows
from tests.workbooks import encrypted

ROWS = [
    ["2022年互助保障目标任务清单"],
    ["序号", "所属单位", "2022年计划任务数"],
    [1, "湖塘镇", 6000],
]


def workbook_bytes(rows=ROWS) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_come_back_as_the_text_people_typed():
    rows = read_rows(workbook_bytes(), "t.xlsx")
    assert rows[2][:3] == ["1", "湖塘镇", "6000"]


def test_x3_an_encrypted_workbook_opens_with_its_password():
    content = encrypted(workbook_bytes(), "武进2022")
    assert read_rows(content, "t.xlsx", password="武进2022")[2][1] == "湖塘镇"


@pytest.mark.parametrize("password, words", [(None, "已加密"), ("wrong", "密码错误")])
def test_x3_a_missing_or_wrong_password_is_a_clear_message(password, words):
    content = encrypted(workbook_bytes(), "secret")
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx", password=password)
    assert words in str(error.value)


def test_x3_csv_in_gbk_and_utf8_with_bom():
    text = "序号,所属单位\n1,湖塘镇\n"
    assert read_rows(text.encode("gbk"), "t.csv")[1] == ["1", "湖塘镇"]
    assert read_rows(("\ufeff" + text).encode("utf-8"), "t.csv")[0][0] == "序号"


@pytest.mark.parametrize(
    "content, name, words",
    [
        (b"not a workbook", "t.xlsx", "不是有效的 Excel"),
        (workbook_bytes(), "t.pdf", "不支持的文件类型"),
        (b"\xff\xfe\x00\x00garbage\x80", "t.csv", "UTF-8"),
    ],
)
def test_s5_the_type_is_checked_by_content(content, name, words):
    with pytest.raises(TableError) as error:
        read_rows(content, name)
    assert words in str(error.value)


@pytest.mark.parametrize(
    "text, number",
    [
        ("7000", 7000),
        ("7,000", 7000),
        ("７０００", 7000),
        (" 7000 ", 7000),
        ("7000.0", 7000),
        ("", None),
    ],
)
def test_whole_numbers_as_people_type_them(text, number):
    assert parse_whole_number(text) == number


@pytest.mark.parametrize("text", ["12.5", "-3", "abc", "1e3x"])
def test_other_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parse_whole_number(text)


@pytest.mark.parametrize(
    "content, name, cell",
    [
        ("序号,所属单位\n1,湖塘\x00镇\n".encode(), "t.csv", "B2"),
        ("序号,所属单位\n1,牛塘\x1b镇\n".encode("gbk"), "t.csv", "B2"),
        (workbook_bytes([["序号"], ["湖塘_x0000_镇"]]), "t.xlsx", "A2"),
    ],
)
def test_s5_a_control_character_in_a_cell_is_refused_naming_the_cell(content, name, cell):
    # PostgreSQL cannot store NUL (a 500 at confirmation before), and Excel shows the
    # others as _x0000_ escapes; the message itself must not carry the character.
    with pytest.raises(TableError) as error:
        read_rows(content, name)
    message = str(error.value)
    assert cell in message and "控制字符" in message
    assert not CONTROL.search(message)


def test_tabs_and_line_breaks_inside_a_cell_are_kept():
    assert read_rows('序号,备注\n1,"甲\t乙\n丙"\n'.encode(), "t.csv")[1] == ["1", "甲\t乙\n丙"]


def test_a_csv_error_is_reported_on_the_row_where_it_happened():
    # Before, an error in row 2 was reported as row 1.
    body = '序号,所属单位\n1,"' + "x\n" * 80_000 + '"\n'
    with pytest.raises(TableError) as error:
        read_rows(body.encode(), "t.csv")
    assert "第 2 行" in str(error.value)


def test_an_encrypted_workbook_named_xls_asks_for_its_password():
    content = encrypted(workbook_bytes(), "secret")
    with pytest.raises(PasswordError):
        read_rows(content, "t.xls")
    assert read_rows(content, "t.xls", password="secret")[2][1] == "湖塘镇"


def test_a_workbook_named_csv_is_refused_as_not_what_its_name_says():
    with pytest.raises(TableError) as error:
        read_rows(workbook_bytes(), "t.csv")
    assert "不符" in str(error.value)


def test_s5_an_encryption_asking_for_too_much_hashing_is_refused_before_hashing():
    # The format allows 10,000,000 rounds of SHA-512 per try: half a minute of a worker.
    content = ECMA376Agile.encrypt("secret", io.BytesIO(workbook_bytes()), spin_count=500_001)
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx", password="secret")
    assert "损坏" in str(error.value)


@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\ufeff"])
def test_s5_an_invisible_character_that_makes_names_look_alike_is_refused(character):
    # "湖塘镇" with a zero-width space is another unit that looks the same; a direction
    # override shows a name reversed.
    with pytest.raises(TableError) as error:
        read_rows(f"序号,所属单位\n1,湖塘{character}镇\n".encode(), "t.csv")
    message = str(error.value)
    assert "B2" in message and f"U+{ord(character):04X}" in message
    assert character not in message
