"""Reading uploaded tables (CSV in UTF-8 or GBK, .xlsx, .xls, encrypted .xlsx) as rows of
strings. The targets importer and the roster importer both read through here."""

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _


class TableError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def read_rows(content: bytes, filename: str, password: str | None = None) -> list[list[str]]:
    """All rows of the first sheet (or the CSV), every cell as a trimmed string."""
    suffix = Path(filename).suffix.lower()
    if content.startswith(OLE_MAGIC) and suffix in {".xlsx", ".xlsm"}:
        content = _decrypt(content, password)
    elif content.startswith(OLE_MAGIC) and suffix != ".xls":
        raise TableError(_("The file type does not match its name: %(name)s.") % {"name": filename})
    if suffix == ".csv":
        return _read_csv(content)
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        if not (content.startswith(ZIP_MAGIC) or content.startswith(OLE_MAGIC)):
            raise TableError(
                _("The file is not a real Excel workbook: %(name)s.") % {"name": filename}
            )
        return _read_workbook(content)
    raise TableError(
        _("Unsupported file type %(suffix)s: upload .xlsx, .xls or .csv.") % {"suffix": suffix}
    )


def _decrypt(content: bytes, password: str | None) -> bytes:
    import msoffcrypto

    office = msoffcrypto.OfficeFile(io.BytesIO(content))
    if not office.is_encrypted():
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


def _read_csv(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("The CSV file is neither UTF-8 nor GBK text."))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _read_workbook(content: bytes) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine reports damaged files with a generic error
        raise TableError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from exc
    return [[cell_text(cell) for cell in row] for row in rows]


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
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(text)
    return int(number)


FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULL_WIDTH[0x3000] = 0x20  # ideographic space


def normalize_width(text: str) -> str:
    """Full-width ASCII (digits, letters, punctuation, the ideographic space) to ASCII."""
    return text.translate(FULL_WIDTH)
