"""附件1 as a terminal table and as an .xlsx workbook (SPEC T5)."""

import io
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from huzhu.org.selectors import ReportRow, TargetReport


def _cells(row: ReportRow) -> list[str]:
    return [
        row.position,
        row.name,
        "" if row.previous_target is None else str(row.previous_target),
        "" if row.previous_completed is None else str(row.previous_completed),
        row.previous_rate,
        "" if row.target is None else str(row.target),
    ]


def title(report: TargetReport) -> str:
    return f"{report.year}年互助保障目标任务清单"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def report_text(report: TargetReport) -> str:
    table = [report.headers] + [_cells(r) for r in report.rows] + [_cells(report.total)]
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [title(report)]
    for row in table:
        padded = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            # Names to the left, numbers to the right, as in the printed notice.
            padded.append(cell + pad if i == 1 else pad + cell)
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def report_workbook(report: TargetReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{report.year}年目标任务"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append([title(report)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(report.headers)
    for row in [*report.rows, report.total]:
        sheet.append(
            [
                int(row.position) if row.position.isdigit() else row.position,
                row.name,
                row.previous_target,
                row.previous_completed,
                row.previous_rate or None,
                row.target,
            ]
        )
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
        for cell in row:
            cell.border = border
            cell.alignment = Alignment(horizontal="left" if cell.column == 2 else "center")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (6, 16, 14, 14, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
