"""The workbook guard follows calamine's reading rules by construction: every part of the
zip, every element by its local name (issue 6, SPEC S5). The hostile files of the second
security probe are built here; a test that let one reach calamine would fail on the
`calamine_forbidden` fixture instead of aborting the test process."""

import io
import logging
import struct
import tracemalloc
import zipfile

import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from huzhu.tabular import LIMITS, Limits, TableError, read_rows
from huzhu.workbook_guard import checked_workbook
from huzhu.workbook_guard.xlsx import weigh
from tests.workbooks import letter_runs, raw_xlsx, shared_strings, sheet

MB = 1024 * 1024
FAR = b'<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>'


def refused(content: bytes, name: str = "t.xlsx", **kwargs) -> str:
    with pytest.raises(TableError) as error:
        read_rows(content, name, **kwargs)
    return str(error.value)


@pytest.mark.parametrize(
    "sheet_xml",
    [
        sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>' + FAR),
        sheet(b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>' + FAR, prefix="x"),
        sheet(b'<ns0:row r="9"><ns0:c r="XFD1048576"><ns0:v>1</ns0:v></ns0:c></ns0:row>'),
    ],
    ids=["prefixed cells", "prefixed sheetData", "other prefix"],
)
def test_s5_cells_written_with_a_namespace_prefix_are_bounded(calamine_forbidden, sheet_xml):
    content = raw_xlsx(sheet_xml)
    assert len(content) < 2500
    message = refused(content)
    assert "XFD1048576" in message and "200000" in message


@pytest.mark.parametrize("name", ["xl/worksheets/sheet1.dat", "xl/data", "xl/表1.txt"])
def test_s5_a_sheet_part_of_any_name_is_bounded(calamine_forbidden, name):
    content = raw_xlsx(sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>' + FAR), sheet_path=name)
    assert "XFD1048576" in refused(content)


@pytest.mark.parametrize("name", ["t.xls", "t.xlsm"])
def test_s5_a_workbook_under_another_suffix_is_read_by_its_content(calamine_forbidden, name):
    content = raw_xlsx(sheet(FAR), sheet_path="xl/worksheets/sheet1.dat")
    assert "XFD1048576" in refused(content, name)


def test_s5_a_forged_count_of_shared_strings_is_refused_before_it_is_reserved(
    calamine_forbidden,
):
    # calamine reserves `uniqueCount` strings at once: 99,999,999,999 of them abort it.
    strings = shared_strings([b"a"]).replace(b"<sst ", b'<sst uniqueCount="99999999999" ')
    content = raw_xlsx(sheet(b'<row><c t="s"><v>0</v></c></row>'), strings=strings)
    assert "损坏" in refused(content)


def test_s5_empty_cells_move_the_column_as_in_calamine(calamine_forbidden):
    # <c/> is a cell to calamine: it adds nothing to the grid but counts the column on, so
    # the 71st cell is BS1.
    cells = b"<c/>" * 70 + b"<c><v>1</v></c>"
    assert "BS1" in refused(raw_xlsx(sheet(b"<row>" + cells + b"</row>")))


def test_s5_empty_rows_move_the_row_as_in_calamine(calamine_forbidden):
    rows = b"<row/>" * 10 + b"<row><c><v>1</v></c></row>"
    assert "A11" in refused(raw_xlsx(sheet(rows)), limits=Limits(rows=10))


def test_a_cell_of_many_rich_text_runs_is_refused_by_its_whole_size(calamine_forbidden):
    runs = b"<r><t>" + b"B" * 1000 + b"</t></r>"
    cell = b'<row r="1"><c r="A1" t="inlineStr"><is>' + runs * 30 + b"</is></c></row>"
    message = refused(raw_xlsx(sheet(cell)))
    assert "A1" in message and "KB" in message and "BBBB" not in message


def test_a_cdata_cell_is_refused_by_its_size(calamine_forbidden):
    cell = b'<row r="1"><c r="B1" t="inlineStr"><is><t><![CDATA[' + b"C" * 50_000
    message = refused(raw_xlsx(sheet(cell + b"]]></t></is></c></row>")))
    assert "B1" in message and "CCCC" not in message


def probe_files():
    """The second probe's files, built in pieces: a 4 MB upload holding one cell of 240,000
    rich-text runs (240 MB), one CDATA cell of 200 MB, and a 200 MB shared string."""
    text = letter_runs(MB)
    runs = [b"<r><t>" + text[i : i + 1000] + b"</t></r>" for i in range(0, MB, 1000)]
    yield (
        "runs",
        raw_xlsx(
            [sheet(b"").split(b"</sheetData>")[0], b'<row r="1"><c r="A1" t="inlineStr"><is>']
            + [b"".join(runs)] * 230
            + [b"</is></c></row></sheetData></worksheet>"],
            level=1,
        ),
    )
    yield (
        "cdata",
        raw_xlsx(
            [sheet(b"").split(b"</sheetData>")[0], b'<row><c t="inlineStr"><is><t><![CDATA[']
            + [text] * 200
            + [b"]]></t></is></c></row></sheetData></worksheet>"],
            level=1,
        ),
    )
    yield (
        "shared",
        raw_xlsx(
            sheet(b'<row><c t="s"><v>0</v></c></row>'),
            strings=[b"<sst><si><t>", *[text] * 200, b"</t></si></sst>"],
            level=1,
        ),
    )


def test_s5_the_guard_refuses_the_probe_files_in_a_few_megabytes(calamine_forbidden):
    # Before: peaks of 1.35 GB, 1.1 GB and 500 MB (the parts were unpacked whole, then
    # copied). Now each part is read a quarter megabyte at a time, and a cell is refused
    # once that much of it has been read.
    for label, content in probe_files():
        assert len(content) < 8 * MB, label
        tracemalloc.start()
        try:
            message = refused(content)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert "KB" in message, (label, message)
        assert peak < 8 * MB, (label, peak)


def test_a_part_with_a_dtd_never_reaches_calamine():
    # Entities declared in a DTD ("billion laughs") are not read: the part is left out of
    # the file calamine gets, which then has no sheet to read.
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    part = laughs + sheet(b'<row><c t="inlineStr"><is><t>&b;</t></is></c></row>').split(b"?>", 1)[1]
    content = raw_xlsx(part)
    assert "xl/worksheets/sheet1.xml" not in _names(checked_workbook(content, LIMITS))
    assert "损坏" in refused(content)


def test_parts_that_are_not_xml_or_open_another_format_never_reach_calamine():
    content = raw_xlsx(
        sheet(b"<row><c><v>1</v></c></row>"),
        extra={
            "xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
            "xl/workbook.bin": b"<x/>",
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "xl/utf16.xml": "<a/>".encode("utf-16"),
            "xl/gbk.xml": b'<?xml version="1.0" encoding="GBK"?><a/>',
        },
    )
    names = _names(checked_workbook(content, LIMITS))
    assert "xl/worksheets/sheet1.xml" in names and "xl/workbook.xml" in names
    assert not names & {"xl/media/image1.png", "xl/workbook.bin", "mimetype"}
    assert not names & {"xl/utf16.xml", "xl/gbk.xml"}
    assert read_rows(content, "t.xlsx") == [["1"]]


def test_a_megabyte_between_two_tags_leaves_the_part_out():
    # calamine holds a whole text in memory before looking at it.
    content = raw_xlsx(sheet(b"<row><c><v>1</v></c></row>" + letter_runs(3 * MB)))
    assert "xl/worksheets/sheet1.xml" not in _names(checked_workbook(content, LIMITS))


def _names(content: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(content)).namelist())


def test_a_calamine_error_is_shown_in_chinese_and_logged_in_full(caplog):
    content = raw_xlsx(sheet(b'<row><c t="s"><v>5</v></c></row>'), strings=shared_strings([b"a"]))
    with caplog.at_level(logging.WARNING, logger="huzhu.tabular"):
        message = refused(content)
    assert message == "无法读取工作簿：文件已损坏或不是 Excel 文件。"
    assert "shared strings" in caplog.text


def test_an_xls_with_an_inverted_range_is_called_damaged(calamine_forbidden):
    book = xlwt.Workbook()
    book.add_sheet("附件1").write(0, 0, "序号")
    out = io.BytesIO()
    book.save(out)
    content = bytearray(out.getvalue())
    at = content.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, BIFF8
    struct.pack_into("<IIHH", content, at + 4, 100, 1, 0, 5)
    message = refused(bytes(content), "t.xls")
    assert "损坏" in message and "-99" not in message


# The guard must never count fewer cells, or less text, than calamine then builds. Small
# sheets mixing what calamine reads in its own way are compared with the real reader.

COLUMN = st.sampled_from(["A", "b", "C", "F", "AA"])
ROW_NUMBER = st.integers(min_value=1, max_value=9)
PREFIX = st.sampled_from(["", "", "x:"])


@st.composite
def cells(draw):
    prefix = draw(PREFIX)
    ref = draw(st.none() | st.builds("{}{}".format, COLUMN, ROW_NUMBER))
    attrs = f' r="{ref}"' if ref else ""
    kind = draw(st.sampled_from(["empty", "number", "inline", "runs", "shared", "text"]))
    if kind == "empty":
        return f"<{prefix}c{attrs}/>"
    if kind == "number":
        body = f"<{prefix}v>{draw(st.integers(0, 99))}</{prefix}v>"
    elif kind == "inline":
        attrs += ' t="inlineStr"'
        body = f"<is><t>{draw(st.text('湖塘ab &', max_size=8)).replace('&', '&amp;')}</t></is>"
    elif kind == "runs":
        attrs += ' t="inlineStr"'
        body = "<is>" + "<r><t>塘塘</t></r>" * draw(st.integers(0, 4)) + "</is>"
    elif kind == "shared":
        attrs += ' t="s"'
        index = draw(st.sampled_from(["0", "1", "3", "1&#48;", "1<!--x-->2", " 2", "x", ""]))
        body = f"<v>{index}</v>"
    else:
        attrs += ' t="str"'
        body = f"<v>{draw(st.text('ab湖', max_size=6))}</v>"
    return f"<{prefix}c{attrs}>{body}</{prefix}c>"


@st.composite
def rows(draw):
    ref = draw(st.none() | ROW_NUMBER.map(str))
    attrs = f' r="{ref}"' if ref else ""
    body = "".join(draw(st.lists(cells(), max_size=5)))
    row = f"<row{attrs}/>" if not body and draw(st.booleans()) else f"<row{attrs}>{body}</row>"
    return f"<x:other>{row}</x:other>" if draw(st.integers(0, 5)) == 0 else row


STRINGS = shared_strings([b"s" * 3, "湖塘镇".encode() * 20, b"", b"tail" * 9] + [b"y"] * 8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows(), max_size=6), PREFIX)
def test_the_guard_never_counts_less_than_calamine_builds(body, prefix):
    content = raw_xlsx(sheet("".join(body).encode(), prefix=prefix.rstrip(":")), strings=STRINGS)
    [extent] = weigh(content, LIMITS)[2]
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine refused the file: it built nothing
        return
    assert extent.rows >= len(grid)
    assert extent.columns >= max(map(len, grid), default=0)
    text = sum(len(str(value).encode()) for row in grid for value in row)
    assert extent.text_bytes >= text


def test_a_zip_listing_200000_parts_is_refused_before_they_are_listed(calamine_forbidden):
    # One stored part and a central directory naming it 200,000 times: 9 MB, under the
    # upload limit, and zipfile would build an object for each entry.
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    entry = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
        )
        + b"a"
    )
    count = 200_000
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, len(entry) * count, len(local), 0
    )
    content = local + entry * count + end
    tracemalloc.start()
    try:
        message = refused(content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "损坏" in message and peak < 8 * MB
