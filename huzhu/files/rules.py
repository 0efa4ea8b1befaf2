"""What a file is, judged by its first bytes and never by its name (SPEC S5).

A name says what the sender claims; the content says what a reader will meet. A workbook
renamed from a program (`setup.exe` → `名单.xlsx`) starts with `MZ`, not with a zip or an
OLE header, and is refused here before anything reads it.
"""

import codecs
from dataclasses import dataclass
from pathlib import PurePath

# How much of a file is read to judge it: every signature below fits, and a CSV's first
# 64 KiB say whether it is text.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Kind:
    code: str
    content_type: str
    extensions: tuple[str, ...]


XLSX = Kind(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
# The OLE2 container: Excel 97–2003 workbooks, and .xlsx files encrypted with a password
# (SPEC X1), which Excel wraps in the same container.
XLS = Kind("xls", "application/vnd.ms-excel", (".xls", ".xlsx"))
CSV = Kind("csv", "text/csv", (".csv", ".txt"))
PDF = Kind("pdf", "application/pdf", (".pdf",))
JPEG = Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"))
PNG = Kind("png", "image/png", (".png",))
HEIC = Kind("heic", "image/heic", (".heic", ".heif"))

KINDS = {kind.code: kind for kind in (XLSX, XLS, CSV, PDF, JPEG, PNG, HEIC)}
WORKBOOKS = frozenset({"xlsx", "xls", "csv"})
DOCUMENTS = frozenset({"pdf", "jpeg", "png", "heic"})

# Programs and scripts: named in the refusal, whatever the file is called.
EXECUTABLE_STARTS = (
    b"\x7fELF",  # Linux
    b"MZ",  # Windows (PE)
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O), both byte orders and word sizes
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # a script
)
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
# Control characters a text file never holds (tab, line feed and carriage return it may).
CONTROL = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"


def is_executable(head: bytes) -> bool:
    return head.startswith(EXECUTABLE_STARTS)


def _is_text(head: bytes) -> bool:
    if not head or any(byte in CONTROL for byte in head):
        return False
    # The head may end inside a character: only a complete file must end complete.
    final = len(head) < HEAD_BYTES
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=final)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(head: bytes) -> Kind | None:
    """The kind of file these first bytes begin, or None when it is none we keep."""
    if is_executable(head):
        return None
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return XLS
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return HEIC
    if _is_text(head):
        return CSV
    return None


def name_fits(name: str, kind: Kind) -> bool:
    """The name's extension is one this kind of content goes by."""
    return PurePath(name).suffix.lower() in kind.extensions
