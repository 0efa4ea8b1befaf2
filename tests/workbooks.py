"""Hand-built .xlsx files for the guard's tests: the few parts calamine needs, with the
sheet's XML (and the shared strings) exactly as a test writes them, under any part name."""

import io
import random
import zipfile
from collections.abc import Iterable

import msoffcrypto.format.ooxml as ooxml

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
</Types>"""
PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1"
 Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>""".encode()
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>
<sheet name="附件1" sheetId="1" r:id="rId1"/></sheets></workbook>""".encode()


def workbook_rels(sheet_target: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE}">
<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="{sheet_target}"/>
<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""".encode()


def sheet(sheet_data: bytes, *, prefix: str = "") -> bytes:
    """A worksheet part around the body of `<sheetData>` (written with `prefix:` if given)."""
    tag = f"{prefix}:sheetData" if prefix else "sheetData"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">'
        f"<{tag}>".encode()
        + sheet_data
        + f"</{tag}></worksheet>".encode()
    )


def shared_strings(texts: Iterable[bytes]) -> bytes:
    body = b"".join(b"<si><t>" + text + b"</t></si>" for text in texts)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode() + body + b"</sst>"


def raw_xlsx(
    sheet_xml: bytes | Iterable[bytes],
    *,
    strings: bytes | Iterable[bytes] | None = None,
    sheet_path: str = "xl/worksheets/sheet1.xml",
    extra: dict[str, bytes] | None = None,
    level: int = 6,
) -> bytes:
    """An .xlsx whose first sheet is the part `sheet_path` holding `sheet_xml`, with the
    shared strings `strings` — bytes, or pieces streamed into the zip so that a test can
    build a large part in little memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", PACKAGE_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", workbook_rels("/" + sheet_path))
        _stream(book, sheet_path, sheet_xml)
        if strings is not None:
            _stream(book, "xl/sharedStrings.xml", strings)
        for name, data in (extra or {}).items():
            book.writestr(name, data)
    return out.getvalue()


def _stream(book: zipfile.ZipFile, name: str, pieces: bytes | Iterable[bytes]) -> None:
    with book.open(name, "w") as part:
        for piece in [pieces] if isinstance(pieces, bytes) else pieces:
            part.write(piece)


def letter_runs(size: int, seed: int = 6) -> bytes:
    """`size` bytes of capital letters in runs of random length: they pack about 50:1,
    under the zip-bomb ratio, like a real attacker's text."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += bytes([rng.randrange(65, 91)]) * rng.randrange(1, 400)
    return bytes(out[:size])


def encrypted(content: bytes, password: str) -> bytes:
    out = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(content)).encrypt(password, out)
    return out.getvalue()
