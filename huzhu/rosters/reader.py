"""Reading a roster file (参保职工汇总表, 附件4; SPEC X1–X3): the header row found by its
names, the data rows with the row numbers the spreadsheet shows.

The notice's layout puts two title rows above the header ("2022年武进区在职职工医疗互助
保障参保职工汇总表", "申请单位工会：（盖章）…"), leaves numbered rows empty below the
members and closes with a "注：" line; all of that is skipped silently. Every other row
below the header is a data row and ends as imported, already enrolled or rejected (X4).
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from huzhu.tabular import PasswordError, TableError, normalize_width, read_rows


class RosterFileError(Exception):
    """The file cannot be read as a roster; the message (Chinese) says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# The columns as the notice names them (X1): how rows, messages and the errors workbook
# name a column. They are the words of the form itself, so they are not translated.
SEQ = "序号"
TOWN = "乡镇"
NAME = "姓名"
ID_NUMBER = "身份证号码"
PHONE = "手机号码"
EMPLOYER = "工作单位"
CARD = "工会卡卡号"
INSURANCE = "是否参加常州基本医保"
NOTE = "备注"
SIGNATURE = "职工签字"

# X2: the usual variants of each header, compared once spaces and anything in brackets are
# removed ("身份证号码（18位）" is 身份证号码).
ALIASES = {
    SEQ: {"序号", "编号"},
    TOWN: {"乡镇", "镇", "乡镇街道", "镇街", "镇街道", "所属乡镇"},
    NAME: {"姓名", "职工姓名"},
    ID_NUMBER: {"身份证号", "身份证号码", "身份证"},
    PHONE: {"手机号", "手机号码", "联系电话", "手机", "电话", "联系方式"},
    EMPLOYER: {"工作单位", "单位", "单位名称"},
    CARD: {"工会卡号", "工会卡卡号", "工会服务卡账号", "工会服务卡卡号", "工会服务卡号", "工会卡"},
    NOTE: {"备注"},
    SIGNATURE: {"职工签字", "签字", "本人签字"},
}
INSURANCE_HEADER = re.compile(r"^是否(参加|参保)?(常州|常州市)?(基本)?(医保|医疗保险)")
REQUIRED = (TOWN, NAME, ID_NUMBER, PHONE, CARD, INSURANCE)
# The header is looked for among the first rows only: a roster's title rows are few.
HEADER_SEARCH_ROWS = 30
BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
SPACES = re.compile(r"\s+")


def header_key(text: str) -> str | None:
    """The column a header cell names, or None."""
    flat = BRACKETED.sub("", SPACES.sub("", normalize_width(text)))
    flat = flat.rstrip(":：*")
    for column, names in ALIASES.items():
        if flat in names:
            return column
    if INSURANCE_HEADER.match(flat):
        return INSURANCE
    return None


@dataclass(frozen=True)
class RosterRow:
    # The row number as the spreadsheet shows it (1 = the first row).
    row: int
    # The cells as read (tabular.NumberText where the workbook held a number), padded to
    # the header's width.
    cells: list[str]


@dataclass(frozen=True)
class RosterTable:
    header: list[str]  # the header row's texts, as the file has them
    columns: dict[str, int]  # column (TOWN, NAME, …) → its index
    rows: list[RosterRow]

    def value(self, row: RosterRow, column: str) -> str:
        index = self.columns.get(column)
        return row.cells[index] if index is not None else ""


def _find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int]] | None = None
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = header_key(cell) if cell else None
            if key is not None and key not in columns:
                columns[key] = position
        if NAME in columns and ID_NUMBER in columns:
            best = (index, columns)
            break
    if best is None:
        raise RosterFileError(
            _(
                "This is not a roster: no header row with the columns %(columns)s was found "
                "in the first %(rows)s rows."
            )
            % {"columns": "、".join(REQUIRED), "rows": HEADER_SEARCH_ROWS}
        )
    missing = [column for column in REQUIRED if column not in best[1]]
    if missing:
        raise RosterFileError(
            _("The roster's header (row %(row)s) lacks the columns %(columns)s.")
            % {"row": best[0] + 1, "columns": "、".join(missing)}
        )
    return best


def is_skipped(cells: list[str], seq_column: int | None) -> bool:
    """X2: an empty row, a row holding only its 序号, and the closing 注 line."""
    filled = [(position, cell) for position, cell in enumerate(cells) if cell.strip()]
    if not filled:
        return True
    if len(filled) == 1 and filled[0][0] == seq_column:
        return True
    first = normalize_width(filled[0][1]).strip()
    return first.startswith(("注:", "注：", "注 ", "备注:", "备注：")) or first == "注"


def read_roster(content: bytes, filename: str, password: str | None) -> RosterTable:
    """The roster in `content`; RosterFileError when it is not one or cannot be opened."""
    try:
        rows = read_rows(content, filename, password=password)
    except PasswordError as exc:
        raise RosterFileError(str(exc)) from exc
    except TableError as exc:
        raise RosterFileError(str(exc)) from exc
    header_index, columns = _find_header(rows)
    header = rows[header_index]
    width = max(len(header), max(columns.values()) + 1)
    seq = columns.get(SEQ)
    data = []
    for index in range(header_index + 1, len(rows)):
        cells = rows[index]
        if is_skipped(cells, seq):
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        data.append(RosterRow(row=index + 1, cells=cells))
    return RosterTable(header=header + [""] * (width - len(header)), columns=columns, rows=data)
