"""Hostile and oversized tables are refused before the reader builds anything from them
(issue 6, SPEC S5). Every dangerous file is built here; calamine must never see one."""

import csv
import io
import random
import re
import string
import struct
import zipfile

import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from huzhu.tabular import CONTROL, Limits, TableError, read_rows
from huzhu.xlsx import XlsxBook


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(content: bytes, change, extra: dict[str, bytes] | None = None) -> bytes:
    """The same .xlsx with each part passed through `change(name, data)`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def in_sheet(old: bytes, new: bytes):
    def change(name, data):
        if name == "xl/worksheets/sheet1.xml":
            assert old in data
            return data.replace(old, new)
        return data

    return change


SMALL = [["序号", "所属单位", "2022年计划任务数"], [1, "湖塘镇", 6000]]


def test_s5_a_tiny_xlsx_claiming_a_million_rows_is_refused_before_the_grid_is_built(
    calamine_forbidden,
):
    content = rezip(
        workbook(SMALL),
        in_sheet(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
        ),
    )
    content = rezip(content, lambda n, d: re.sub(rb'ref="A1:[A-Z]+\d+"', b'ref="A1:XFD1048576"', d))
    assert len(content) < 6000
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    assert "XFD1048576" in str(error.value) and "200000" in str(error.value)


def test_a_forged_dimension_alone_is_harmless_and_the_file_is_read():
    # calamine sizes the grid by the cells it finds, not by <dimension>: such a file (some
    # writers leave a stale dimension) is read as the cells say.
    content = rezip(workbook(SMALL), lambda n, d: d.replace(b'ref="A1:C2"', b'ref="A1:XFD1048576"'))
    assert read_rows(content, "t.xlsx") == [
        ["序号", "所属单位", "2022年计划任务数"],
        ["1", "湖塘镇", "6000"],
    ]


def test_cells_without_positions_are_counted_as_calamine_counts_them(calamine_forbidden):
    # No r attributes: each cell takes the next column; the 65th (BM) is one too many.
    cells = b"".join(b"<c><v>1</v></c>" for _ in range(70))
    content = rezip(
        workbook(SMALL), in_sheet(b"</sheetData>", b"<row>" + cells + b"</row></sheetData>")
    )
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    assert "BM3" in str(error.value)


def test_a_huge_shared_string_is_refused_as_a_zip_bomb_and_not_echoed(calamine_forbidden):
    giant = b"A" * 20_000_000
    content = rezip(
        workbook(SMALL),
        in_sheet(
            b'<c r="B2" t="inlineStr"><is><t>',
            b'<c r="B2" t="s"><v>0</v></c><c r="Z99" t="inlineStr"><is><t>',
        ),
        extra={
            "xl/sharedStrings.xml": b'<sst xmlns="x" count="1" uniqueCount="1"><si><t>'
            + giant
            + b"</t></si></sst>"
        },
    )
    assert len(content) < 200_000
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    message = str(error.value)
    assert "压缩炸弹" in message and "AAAA" not in message and len(message) < 200


def test_a_long_text_that_packs_well_enough_is_refused_by_its_size(calamine_forbidden):
    rng = random.Random(6)
    text = "".join(rng.choice(string.ascii_letters) for _ in range(300_000)).encode()
    content = rezip(
        workbook(SMALL),
        in_sheet(b"<t>\xe6\xb9\x96\xe5\xa1\x98\xe9\x95\x87</t>", b"<t>" + text + b"</t>"),
    )
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    assert "B2" in str(error.value) and "KB" in str(error.value)
    assert text[:50].decode() not in str(error.value)


def test_a_cell_over_the_limit_is_refused_with_its_text_cut():
    content = workbook([*SMALL, [2, "牛" * 3000, 1]])
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    message = str(error.value)
    assert "B3" in message and "3000" in message and "牛" * 40 + "…" in message
    assert "牛" * 41 not in message


def test_a_zip_bomb_part_is_refused_before_it_is_unpacked(calamine_forbidden):
    content = rezip(
        workbook(SMALL), lambda n, d: d, extra={"xl/media/image1.png": bytes(50_000_000)}
    )
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx")
    assert "压缩炸弹" in str(error.value)


def test_the_unpacked_size_of_a_workbook_is_bounded(calamine_forbidden):
    rng = random.Random(7)
    noise = bytes(rng.getrandbits(8) for _ in range(300_000))
    content = rezip(workbook(SMALL), lambda n, d: d, extra={"xl/media/image1.png": noise})
    with pytest.raises(TableError) as error:
        read_rows(content, "t.xlsx", limits=Limits(unpacked_bytes=256 * 1024))
    assert "解压后超过" in str(error.value)


def test_a_zip_with_two_parts_of_one_name_is_refused(calamine_forbidden):
    base = workbook(SMALL)
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        with pytest.warns(UserWarning):
            target.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    with pytest.raises(TableError) as error:
        read_rows(out.getvalue(), "t.xlsx")
    assert "损坏" in str(error.value)


def xls(rows) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("附件1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_x3_an_xls_workbook_is_read():
    assert read_rows(xls(SMALL), "t.xls")[1] == ["1", "湖塘镇", "6000"]


def test_s5_an_xls_whose_dimensions_claim_a_million_rows_is_refused(calamine_forbidden):
    content = bytearray(xls(SMALL))
    at = content.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, BIFF8
    struct.pack_into("<IIHH", content, at + 4, 0, 1_048_576, 0, 255)
    with pytest.raises(TableError) as error:
        read_rows(bytes(content), "t.xls")
    assert "1048576" in str(error.value)


def test_s5_an_xls_cell_far_away_is_refused(calamine_forbidden):
    content = bytearray(xls(SMALL))
    at = content.find(b"\xfd\x00\x0a\x00")  # the first LABELSST cell
    struct.pack_into("<HH", content, at + 4, 65535, 255)
    with pytest.raises(TableError) as error:
        read_rows(bytes(content), "t.xls")
    assert "IV65536" in str(error.value)


def test_a_csv_with_a_giant_field_is_refused_with_the_text_cut():
    text = "序号,所属单位\n1," + "湖" * 5000 + "\n"
    with pytest.raises(TableError) as error:
        read_rows(text.encode(), "t.csv")
    message = str(error.value)
    assert "B2" in message and "5000" in message and len(message) < 200


def test_a_csv_line_of_a_million_commas_is_refused_before_it_is_split():
    with pytest.raises(TableError) as error:
        read_rows(b"a" + b"," * 1_000_000 + b"\n", "t.csv")
    assert "第 1 行" in str(error.value)


def test_a_csv_field_spanning_many_lines_is_refused():
    body = '1,"' + "x\n" * 80_000 + '"\n'
    with pytest.raises(TableError) as error:
        read_rows(body.encode(), "t.csv")
    assert "无法读取" in str(error.value)


def test_a_csv_with_too_many_columns_is_refused():
    with pytest.raises(TableError) as error:
        read_rows((",".join(["x"] * 100) + "\n").encode(), "t.csv")
    assert "100 列" in str(error.value)


def test_rows_beyond_the_limit_are_refused():
    body = "\n".join(str(n) for n in range(20)).encode()
    with pytest.raises(TableError) as error:
        read_rows(body, "t.csv", limits=Limits(rows=10))
    assert "10 行" in str(error.value)
    with pytest.raises(TableError):
        read_rows(workbook([[n] for n in range(20)]), "t.xlsx", limits=Limits(rows=10))


def test_a_file_over_the_size_limit_is_refused_unread():
    with pytest.raises(TableError) as error:
        read_rows(b"x" * 2048, "t.csv", limits=Limits(file_bytes=1024))
    assert str(error.value) == "文件超过 0 MB。"


ROSTER = [
    "序号",
    "乡镇",
    "姓名",
    "身份证号码",
    "手机号码",
    "工作单位",
    "工会卡卡号",
    "是否参加常州基本医保",
    "备注",
    "签约渠道",
]


def roster_row(n: int) -> list[str]:
    return [
        str(n),
        "湖塘镇",
        "张三",
        f"32041219800101{n % 10000:04d}",
        f"139{n:08d}",
        "常州某某机械有限公司",
        f"623166{n:013d}",
        "是",
        "",
        "纸质",
    ]


def test_a_100000_row_roster_in_ten_columns_passes_as_csv_and_xlsx():
    rows = [ROSTER] + [roster_row(n) for n in range(1, 100_001)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assert len(read_rows(out.getvalue().encode(), "r.csv")) == 100_001
    book = XlsxBook()
    sheet = book.sheet("花名册", columns=len(ROSTER))
    for row in rows:
        sheet.row(row)
    read = read_rows(book.close(), "r.xlsx")
    assert len(read) == 100_001 and read[-1] == roster_row(100_000)


# Any text a person (or an attacker) can put in a cell: control characters, lone
# surrogates excluded (no file format can hold them), escapes of the xlsx format itself.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60
) | st.sampled_from(["_x0001_", "=1+1", "@SUM(A1)", "-2", "+86", "\x00", "\x0b\x1f", "  "])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=4))
def test_the_reader_either_reads_a_csv_back_or_refuses_it_clearly(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    try:
        read = read_rows(out.getvalue().encode("utf-8"), "t.csv")
    except TableError as error:
        assert CONTROL.search(out.getvalue()) or "\r" in out.getvalue(), error
        return
    expected = [[c.strip() for c in row] for row in rows]
    for row in expected:
        while row and not row[-1]:
            row.pop()
    assert read == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=4))
def test_every_text_written_by_the_export_helper_reads_back_unchanged(rows):
    book = XlsxBook()
    sheet = book.sheet("t", columns=4)
    for row in rows:
        sheet.row(row)
    try:
        read = read_rows(book.close(), "t.xlsx")
    except TableError as error:
        # A control character is refused on reading, with the cell named (issue 6).
        assert any(CONTROL.search(c.strip()) for row in rows for c in row), error
        assert "控制字符" in str(error)
        return
    expected = [[c.strip() for c in row] for row in rows]
    for row in expected:
        while row and not row[-1]:
            row.pop()
    while read and not read[-1]:
        read.pop()
    while expected and not expected[-1]:
        expected.pop()
    assert read == expected
