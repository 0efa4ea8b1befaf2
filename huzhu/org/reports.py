"""附件1 as a terminal table and as an .xlsx workbook (SPEC T5)."""

import unicodedata

from huzhu.org.selectors import Breakdown, ReportRow, TargetReport
from huzhu.xlsx import Percent, XlsxBook


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
    return _table(title(report), table)


def _table(heading: str, table: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [heading]
    for row in table:
        padded = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            # Names to the left, numbers to the right, as in the printed notice.
            padded.append(cell + pad if i == 1 else pad + cell)
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def breakdown_text(breakdown: Breakdown) -> str:
    """One organizing unit's grassroots unions: share target, paid count, rate (SPEC T3,
    T4), a 合计 row, and the organizing unit's own target under it."""

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    table = [["序号", "基层工会", "任务数", "完成数", "完成率%"]]
    for index, row in enumerate(breakdown.rows, start=1):
        name = row.unit.name if row.unit is not None else "（未分配基层工会）"
        table.append([str(index), name, number(row.target), str(row.completed), row.rate])
    table.append(["合计", "", number(breakdown.share_sum), str(breakdown.completed), ""])
    heading = f"{breakdown.year}年{breakdown.organizing.name}目标任务分解"
    text = _table(heading, table)
    text += f"区总工会下达任务数：{number(breakdown.target) or '—'}\n"
    if breakdown.shares_below_target:
        text += (
            f"注意：各基层工会任务数合计 {breakdown.share_sum or 0}，"
            f"低于区总工会下达的 {breakdown.target}。\n"
        )
    return text


def report_workbook(report: TargetReport) -> bytes:
    """附件1 as .xlsx: counts and rates as numbers (rates shown as 78.36%), names as text."""
    book = XlsxBook()
    sheet = book.sheet(f"{report.year}年目标任务", columns=len(report.headers))
    sheet.widths((6, 18, 14, 14, 10, 16)).title(title(report)).header(report.headers)
    for row in [*report.rows, report.total]:
        sheet.row(
            [
                int(row.position) if row.position.isdigit() else row.position,
                row.name,
                row.previous_target,
                row.previous_completed,
                None if row.previous_percentage is None else Percent(row.previous_percentage),
                row.target,
            ]
        )
    return book.close()
