"""Reading uploaded tables (CSV in UTF-8 or GBK, .xlsx, .xls, encrypted .xlsx) as rows of
strings. The targets importer and the roster importer both read through here.

Every file is bounded before it is parsed: a workbook whose cells lie far apart makes the
reader allocate the whole grid between them at once (a process abort, not an exception),
and a small zip can unpack to gigabytes. `huzhu.workbook_guard` inspects the container
first; only what passed the limits reaches calamine.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _


class TableError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class Limits:
    """What one uploaded table may hold. Sized for a real roster: 100,000 members in the ten
    columns of 附件4 (about 6 MB as .xlsx, 55 MB unpacked) pass with room to spare."""

    file_bytes: int = 64 * 1024 * 1024
    rows: int = 200_000
    columns: int = 64
    # rows × columns of the grid the reader allocates (32 bytes a cell inside calamine)
    cells: int = 4_000_000
    cell_chars: int = 2_000
    # what the parts of an .xlsx that are read may unpack to, all together
    unpacked_bytes: int = 256 * 1024 * 1024
    # unpacked / packed size of one part, checked once the part passes 1 MB; real sheets
    # compress about 5 to 12 times, zip bombs about 1,000 times
    compression_ratio: int = 100


LIMITS = Limits()
# How much of a cell a message quotes.
QUOTE_CHARS = 40

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """A cell's text as a message may show it: one line, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """0-based (row, column) → 'B3'."""
    return f"{column_letters(column)}{row + 1}"


def too_large(size: int, limits: Limits = LIMITS) -> TableError | None:
    if size > limits.file_bytes:
        return TableError(
            _("The file is larger than %(size)s MB; nothing was read.")
            % {"size": limits.file_bytes // (1024 * 1024)}
        )
    return None


def read_rows(
    content: bytes, filename: str, password: str | None = None, *, limits: Limits = LIMITS
) -> list[list[str]]:
    """All rows of the first sheet (or the CSV), every cell as a trimmed string, trailing
    empty cells dropped. Row i of the result is row i + 1 of the sheet."""
    error = too_large(len(content), limits)
    if error:
        raise error
    suffix = Path(filename).suffix.lower()
    if content.startswith(OLE_MAGIC) and suffix in {".xlsx", ".xlsm"}:
        content = _decrypt(content, password)
    elif content.startswith(OLE_MAGIC) and suffix != ".xls":
        raise TableError(
            _("The file type does not match its name: %(name)s.") % {"name": quote(filename)}
        )
    if suffix == ".csv":
        return list(_read_csv(content, limits))
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        if not (content.startswith(ZIP_MAGIC) or content.startswith(OLE_MAGIC)):
            raise TableError(
                _("The file is not a real Excel workbook: %(name)s.") % {"name": quote(filename)}
            )
        return _read_workbook(content, limits)
    raise TableError(
        _("Unsupported file type %(suffix)s: upload .xlsx, .xls or .csv.")
        % {"suffix": quote(suffix, 10)}
    )


def _decrypt(content: bytes, password: str | None) -> bytes:
    import msoffcrypto

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
        encrypted = office.is_encrypted()
    except Exception as exc:  # a damaged container raises anything from struct to olefile
        raise TableError(_("The workbook cannot be read: it is damaged.")) from exc
    if not encrypted:
        return content
    if not password:
        raise TableError(_("The workbook is encrypted: enter its password."))
    out = io.BytesIO()
    try:
        office.load_key(password=password)
        office.decrypt(out)
    except Exception as exc:  # msoffcrypto raises several types for a wrong key
        raise TableError(_("The workbook password is wrong.")) from exc
    return out.getvalue()


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The CSV file is neither UTF-8 nor GBK text."))


def _bounded_lines(text: str, limits: Limits) -> Iterator[str]:
    """Physical lines, refusing one long enough to hold more cells than a row may: the csv
    module builds a whole row before handing it over, so a line of a million commas would
    be a million strings before any check could run."""
    longest = limits.columns * (limits.cell_chars + 3)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > longest:
            raise TableError(
                _(
                    "Line %(line)s of the CSV file is %(length)s characters long; a row may "
                    "hold at most %(columns)s cells of %(chars)s characters."
                )
                % {
                    "line": number,
                    "length": len(line),
                    "columns": limits.columns,
                    "chars": limits.cell_chars,
                }
            )
        yield line


def _read_csv(content: bytes, limits: Limits) -> Iterator[list[str]]:
    reader = csv.reader(_bounded_lines(_decode(content), limits))
    index = 0
    try:
        for index, row in enumerate(reader):
            if index >= limits.rows:
                raise TableError(
                    _("The table has more than %(rows)s rows; split it into smaller files.")
                    % {"rows": limits.rows}
                )
            if len(row) > limits.columns:
                raise TableError(
                    _("Row %(row)s has %(count)s columns; at most %(limit)s are read.")
                    % {"row": index + 1, "count": len(row), "limit": limits.columns}
                )
            cells = [cell.strip() for cell in row]
            _check_lengths(cells, index, limits)
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    except csv.Error as exc:
        # The csv module's own field limit (131,072 characters) or a NUL byte.
        raise TableError(
            _(
                "Row %(row)s of the CSV file cannot be read: a cell is too long or holds a "
                "NUL character."
            )
            % {"row": index + 2 if index else 1}
        ) from exc


def _check_lengths(cells: list[str], row: int, limits: Limits) -> None:
    for column, cell in enumerate(cells):
        if len(cell) > limits.cell_chars:
            raise TableError(
                _(
                    "Cell %(cell)s holds %(length)s characters; a cell may hold at most "
                    "%(limit)s: “%(text)s”."
                )
                % {
                    "cell": cell_name(row, column),
                    "length": len(cell),
                    "limit": limits.cell_chars,
                    "text": quote(cell),
                }
            )


def _read_workbook(content: bytes, limits: Limits) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    from huzhu.workbook_guard import checked_workbook

    safe = checked_workbook(content, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(safe))
        sheet = workbook.get_sheet_by_index(0)
        # The grid from A1 keeps row numbers as the spreadsheet shows them; the guard has
        # bounded its far corner.
        grid = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine reports damaged files with a generic error
        raise TableError(
            _("The workbook cannot be read: %(error)s") % {"error": quote(str(exc), 200)}
        ) from exc
    rows = []
    for index, raw in enumerate(grid):
        cells = [cell_text(cell) for cell in raw]
        _check_lengths(cells, index, limits)
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def cell_text(value) -> str:
    """Excel hands numbers back as floats (7000.0) and long digit strings in
    scientific notation; the text a person typed is what we want."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    return str(value).strip()


def parse_whole_number(text: str) -> int | None:
    """'7000', '7,000', '７０００' → 7000; '' → None; anything else raises ValueError."""
    cleaned = normalize_width(text).replace(",", "").replace(" ", "")
    if cleaned == "":
        return None
    # Digits only (no exponent: "1e999999999" would be a billion-digit integer), and no
    # more than a count of people can be.
    if not WHOLE_NUMBER.fullmatch(cleaned):
        raise ValueError(text)
    number = int(Decimal(cleaned))
    if number > MAX_WHOLE_NUMBER:
        raise ValueError(text)
    return number


WHOLE_NUMBER = re.compile(r"[0-9]{1,15}(\.0*)?")
MAX_WHOLE_NUMBER = 999_999_999


FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULL_WIDTH[0x3000] = 0x20  # ideographic space


def normalize_width(text: str) -> str:
    """Full-width ASCII (digits, letters, punctuation, the ideographic space) to ASCII."""
    return text.translate(FULL_WIDTH)
