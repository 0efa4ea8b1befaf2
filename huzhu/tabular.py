"""Reading uploaded tables (CSV in UTF-8 or GBK, .xlsx, .xls, encrypted .xlsx) as rows of
strings. The targets importer and the roster importer both read through here.

Every file is bounded before it is parsed: a workbook whose cells lie far apart makes the
reader allocate the whole grid between them at once (a process abort, not an exception),
and a small zip can unpack to gigabytes. `huzhu.workbook_guard` inspects the container
first; only what passed the limits reaches calamine.
"""

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class TableError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


class PasswordError(TableError):
    """The workbook is encrypted and its password is missing or wrong."""


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
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
# Excel, WPS and LibreOffice hash a workbook password 100,000 times.
MAX_PASSWORD_SPINS = 500_000

# Characters no table cell should hold: C0 controls but tab, line feed and carriage return
# (PostgreSQL refuses NUL in text outright; Excel shows the others as _x0001_ escapes), DEL,
# and the invisible format characters that hide or reorder text (zero-width spaces and
# joiners, direction marks and overrides, word joiner, byte order mark) — with them,
# "湖塘镇" and a different unit name can look the same.
CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# How a message shows them: C0 as its control picture (␀ for NUL), the others by code.
CONTROL_PICTURES: dict[int, int | str] = {code: 0x2400 + code for code in range(0x20)}
CONTROL_PICTURES[0x7F] = 0x2421
CONTROL_PICTURES.update(
    {code: f"[U+{code:04X}]" for code in [*range(0x200B, 0x2010), *range(0x202A, 0x202F)]}
)
CONTROL_PICTURES.update(
    {code: f"[U+{code:04X}]" for code in [*range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF]}
)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """A cell's text as a message may show it: one line, cut to `limit` characters, control
    characters shown as their pictures."""
    flat = " ".join(str(text).split()).translate(CONTROL_PICTURES)
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
            _("The file is larger than %(size)s MB.") % {"size": limits.file_bytes // (1024 * 1024)}
        )
    return None


def read_rows(
    content: bytes, filename: str, password: str | None = None, *, limits: Limits = LIMITS
) -> list[list[str]]:
    """All rows of the first sheet (or the CSV), every cell as a trimmed string, trailing
    empty cells dropped. Row i of the result is row i + 1 of the sheet.

    The content decides how a file is read: a zip is read as .xlsx and a compound file as
    .xls (or decrypted first, when it is an encrypted .xlsx), whatever the name says; the
    name only has to be one of the accepted kinds, and a CSV may not be a workbook."""
    error = too_large(len(content), limits)
    if error:
        raise error
    suffix = Path(filename).suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES | {".csv"}:
        raise TableError(
            _("Unsupported file type %(suffix)s: upload .xlsx, .xls or .csv.")
            % {"suffix": quote(suffix, 10)}
        )
    is_workbook = content.startswith((ZIP_MAGIC, OLE_MAGIC))
    if suffix == ".csv":
        if is_workbook:
            raise TableError(
                _("The file type does not match its name: %(name)s.") % {"name": quote(filename)}
            )
        rows = list(_read_csv(content, limits))
    else:
        if not is_workbook:
            raise TableError(
                _("The file is not a real Excel workbook: %(name)s.") % {"name": quote(filename)}
            )
        if content.startswith(OLE_MAGIC):
            content = _decrypt(content, password)
        rows = _read_workbook(content, limits)
    _check_cells(rows)
    return rows


def _decrypt(content: bytes, password: str | None) -> bytes:
    """An encrypted workbook (a compound file holding the real one) decrypted; any other
    compound file (an .xls) as it is."""
    import msoffcrypto

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
        encrypted = office.is_encrypted()
    except Exception:  # a damaged compound file: the .xls guard says so
        return content
    if not encrypted:
        return content
    if not password:
        raise PasswordError(_("The workbook is encrypted: enter its password."))
    info = getattr(office, "info", None)  # agile .xlsx encryption; others spin less
    spins = info.get("spinValue", 0) if isinstance(info, dict) else 0
    if not isinstance(spins, int) or spins > MAX_PASSWORD_SPINS:
        # Each try hashes the password this many times, in Python: 10,000,000 (what the
        # format allows) would hold a worker for half a minute.
        raise TableError(_("The workbook cannot be read: it is damaged or not an Excel file."))
    out = io.BytesIO()
    try:
        office.load_key(password=password)
        office.decrypt(out)
    except Exception as exc:  # msoffcrypto raises several types for a wrong key
        raise PasswordError(_("The workbook password is wrong.")) from exc
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
    index = 0  # of the row being read, 0-based
    try:
        for row in reader:
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
            index += 1
    except csv.Error as exc:
        # The csv module's own field limit (131,072 characters).
        raise TableError(
            _("Row %(row)s of the CSV file cannot be read: a cell is too long.")
            % {"row": index + 1}
        ) from exc


def _check_lengths(cells: list[str], row: int, limits: Limits) -> None:
    if not cells or max(map(len, cells)) <= limits.cell_chars:
        return  # the usual row; otherwise find and name the first long cell
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


def _check_cells(rows: list[list[str]]) -> None:
    """Refuse a `CONTROL` character in any cell, naming the first."""
    for index, cells in enumerate(rows):
        if CONTROL.search("".join(cells)):
            for column, cell in enumerate(cells):
                found = CONTROL.search(cell)
                if found:
                    raise TableError(
                        _(
                            "Cell %(cell)s holds a control character (%(code)s), which a "
                            "table may not hold: “%(text)s”. Delete it and upload again."
                        )
                        % {
                            "cell": cell_name(index, column),
                            "code": f"U+{ord(found.group()):04X}",
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
        # Its message is English and technical: the log keeps it, the person gets ours.
        logger.warning("calamine could not read a workbook: %s", quote(str(exc), 200))
        raise TableError(
            _("The workbook cannot be read: it is damaged or not an Excel file.")
        ) from exc
    rows = []
    for index, raw in enumerate(grid):
        # Most cells are text: stripped here without a call (what cell_text does to them).
        cells = [cell.strip() if type(cell) is str else cell_text(cell) for cell in raw]
        _check_lengths(cells, index, limits)
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


class NumberText(str):
    """The text of a cell the workbook stores as a number. It is a plain string to every
    reader, but one that needs exact digits can tell it apart: an 18-digit ID number kept as
    a number has already lost its last digits (320412198001010011 → 320412198001009984)."""

    __slots__ = ()


def cell_text(value) -> str:
    """Excel hands numbers back as floats (7000.0) and long digit strings in
    scientific notation; the text a person typed is what we want."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return NumberText(int(value))
        return NumberText(Decimal(repr(value)))
    if isinstance(value, int):
        return NumberText(value)
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
