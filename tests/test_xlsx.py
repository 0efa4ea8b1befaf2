"""The one writer of .xlsx files (issue 6): text stays text, rates are numbers."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from huzhu.xlsx import Percent, XlsxBook


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil.example","点击")', "+1+2", "-3+4", "@SUM(A1:A9)", "=1+1"]
)
def test_a_text_that_looks_like_a_formula_is_written_as_text(text):
    book = XlsxBook()
    book.sheet("t", columns=1).row([text])
    cell = load_workbook(io.BytesIO(book.close())).active["A1"]
    assert cell.value == text and cell.data_type == "s"
    # Excel's quote prefix keeps it text even when someone edits the cell.
    assert cell.quotePrefix


def test_numbers_are_numbers_and_rates_are_percentages_with_two_decimals():
    book = XlsxBook()
    book.sheet("t", columns=3).row([7000, Decimal("12.50"), Percent(Decimal("78.36"))])
    sheet = load_workbook(io.BytesIO(book.close())).active
    assert sheet["A1"].value == 7000 and sheet["B1"].value == 12.5
    assert sheet["C1"].value == pytest.approx(0.7836) and sheet["C1"].number_format == "0.00%"


def test_a_title_spans_the_table_and_empty_cells_stay_empty():
    book = XlsxBook()
    sheet = book.sheet("附件1", columns=3)
    sheet.title("2022年互助保障目标任务清单").header(["序号", "所属单位", "任务数"]).row(
        [1, "", None]
    )
    read = load_workbook(io.BytesIO(book.close())).active
    assert read["A1"].value == "2022年互助保障目标任务清单"
    assert [str(r) for r in read.merged_cells.ranges] == ["A1:C1"]
    assert read["B3"].value is None and read["C3"].value is None
