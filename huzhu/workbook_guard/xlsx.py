"""The .xlsx side of the guard.

Every part of the zip, whatever its name, is read by expat (a real XML parser) in pieces of
a quarter megabyte, and every element is matched by its local name whatever its prefix, as
calamine matches it. Which part calamine takes for a sheet does not matter (the workbook's
relationships may name any part): every part holding a `<sheetData>` is bounded as a sheet
and every part holding an `<sst>` counts as shared strings. A part that is not well-formed
UTF-8 XML without a DTD, or that runs more than a megabyte between two tags, is left out of
the file calamine gets; so calamine reads only what was weighed here.

calamine's reading rules (0.37), which tests check against the real reader:
- A sheet's cells are the `c` elements after its first `sheetData` start, at any depth.
  `r="B3"` places a cell and moves the column there; a cell without `r` takes the current
  row and the column after the previous cell. `<row r="5">` sets the row; `</row>` moves to
  the next row and back to column A. An empty element is a start and an end. Only a cell
  with a value (`<v>` or `<is>`) widens the grid.
- A cell's text is built from the XML inside it, so it is at most the bytes the cell spans.
  A `t="s"` cell copies the shared string its `<v>` names: calamine reads the digits before
  the first entity or tag, and takes string 0 when there are none.
- The shared strings are the `si` elements after the first `sst` start. Its `uniqueCount`
  is reserved at once, before any string is read.
- If a zip cannot be read as .xlsx, calamine tries .xlsb and .ods: the parts that would
  open those (`*.bin`, `mimetype`) never go on.
"""

import io
import shutil
import string
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from typing import IO
from xml.parsers.expat import ExpatError, ParserCreate

from django.utils.translation import gettext as _

from huzhu.tabular import Limits, TableError, cell_name
from huzhu.workbook_guard.common import (
    MB,
    Extent,
    damaged,
    long_text,
    longest_cell_bytes,
    too_much_text,
)

CHUNK = 256 * 1024
# What the XML reader buffers for one tag or one text between tags (calamine holds a whole
# text in memory before looking at it); checked once per chunk, so the bound is this plus
# one chunk.
LONGEST_EVENT = MB
MAX_PARTS = 2000
BEYOND = 2**40  # a row or column number too long to be anything but outside the table

OTHER, SHEET_DATA, ROW, CELL, VALUE, INLINE, SST, SI = range(8)
KINDS = {
    "sheetData": SHEET_DATA,
    "row": ROW,
    "c": CELL,
    "v": VALUE,
    "is": INLINE,
    "sst": SST,
    "si": SI,
}


def checked_xlsx(content: bytes, limits: Limits) -> bytes:
    """A fresh zip of the parts calamine may read, each weighed, or TableError."""
    archive, kept, sheets = weigh(content, limits)
    for sheet in sheets:
        sheet.check(limits)
    return _rezip(archive, kept)


def weigh(
    content: bytes, limits: Limits
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo], list[Extent]]:
    """The zip, the parts that go on to calamine, and the far corner and text of every part
    that calamine could read as a sheet (the limits of single cells are checked here)."""
    archive, infos = _open(content, limits)
    kept: list[zipfile.ZipInfo] = []
    parts: list[_Part] = []
    for info in infos:
        if info.is_dir() or _opens_another_format(info.filename):
            continue
        part = _scan(archive, info, limits)
        if part is not None:
            kept.append(info)
            parts.append(part)
    bound, largest = _shared_bounds([p.strings for p in parts if p.strings is not None])
    sheets = []
    for part in parts:
        if part.sheet is not None:
            part.sheet.text_bytes += _shared_text(part.shared_refs, bound, largest)
            sheets.append(part.sheet)
    return archive, kept, sheets


def _open(content: bytes, limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    # zipfile builds an object for every entry of the central directory before anything can
    # be counted: 200,000 of them fit in a 10 MB upload. Each entry starts with this
    # signature, so counting it first bounds them.
    if content.count(b"PK\x01\x02") > MAX_PARTS:
        raise damaged()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise damaged() from exc
    names = [info.filename for info in infos]
    if len(infos) > MAX_PARTS or len(set(names)) != len(names):
        # Two parts of one name are read differently by different zip readers.
        raise damaged()
    declared = 0
    for info in infos:
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MB and ratio > limits.compression_ratio:
            raise TableError(
                _(
                    "A part of the workbook unpacks %(ratio)s times larger than it is "
                    "packed; the file is refused as a possible zip bomb."
                )
                % {"ratio": int(ratio)}
            )
    if declared > limits.unpacked_bytes:
        raise too_much_text(limits)
    return archive, infos


def _opens_another_format(name: str) -> bool:
    lowered = name.lower()
    return lowered == "mimetype" or lowered.endswith(".bin")


class _LeftOut(Exception):
    """The part is not XML within bounds: calamine will not be given it."""


@dataclass
class _Part:
    """What one part holds for calamine: a sheet (its far corner and the bytes of its cells,
    and which shared strings those copy), shared strings (the bytes of each), or neither."""

    sheet: Extent | None = None
    shared_refs: array = field(default_factory=lambda: array("q"))
    strings: array | None = None


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> "_Part | None":
    try:
        # ZipExtFile stops at the declared size (bounded in `_open`) and checks the CRC.
        with archive.open(info) as stream:
            return _scan_xml(stream, limits)
    except (ExpatError, _LeftOut):
        return None
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise damaged() from exc
    except zlib.error as exc:
        raise damaged() from exc


def _scan_xml(stream: IO[bytes], limits: Limits) -> _Part:
    """Feed one part to expat and follow calamine's reading rules (module docstring).

    Positions are byte offsets in the part: a cell or a shared string weighs the bytes from
    its start tag to its end tag. The handlers are closures over plain variables, and do
    as little as they can for other elements, because they run for each of the five
    million elements of a 100,000-row roster."""
    longest = longest_cell_bytes(limits)
    part = _Part()
    sheet = Extent()
    strings = array("q")
    refs = part.shared_refs
    kinds: dict[str, int] = {}
    parser = ParserCreate(encoding="UTF-8")
    last = 0  # where the last end tag started
    in_sheet = in_strings = cell_shared = cell_counted = False
    row = column = 0
    row_digits = "1"  # the current row as written in a reference, for the quick path
    cell_start = string_start = value_start = -1
    cell_row = cell_column = 0
    # The chunk being parsed and the one before, with their offsets in the part: a `<v>`
    # is read from the bytes themselves, as calamine reads it (digits before any entity).
    current = previous = b""
    current_at = previous_at = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_sheet, in_strings, row, row_digits, column, cell_start, cell_row
        nonlocal cell_column, cell_shared, cell_counted, value_start, string_start
        kind = kinds.get(name)
        if kind is None:
            kind = kinds[name] = _kind(name)
        if not kind:  # OTHER, by far the most frequent
            return
        position = parser.CurrentByteIndex
        if kind == CELL:
            if not in_sheet:
                return
            if cell_start >= 0:
                raise damaged()  # a cell inside a cell: calamine refuses it too
            ref = attrs.get("r")
            if ref is None:
                cell_row, cell_column = row, column
            else:
                # Usually "B12" in row 12: no need to read the digits again.
                cell_column = column = _COLUMNS.get(ref[: -len(row_digits)], -1)
                if column >= 0 and ref.endswith(row_digits):
                    cell_row = row
                else:
                    cell_row, cell_column = _position(ref)
                    if cell_column < 0:
                        raise damaged()
                    column = cell_column
            cell_start = position
            cell_shared = attrs.get("t") == "s"
            cell_counted = False
        elif kind == ROW:
            ref = attrs.get("r")
            if in_sheet and ref is not None:
                if ref.isdigit() and ref.isascii() and ref[0] != "0":
                    row, row_digits = int(ref) - 1, ref
                else:
                    row = _position(ref)[0]
                    row_digits = str(row + 1)
        elif kind == VALUE or kind == INLINE:
            if cell_start < 0:
                return
            if not cell_counted:
                cell_counted = True
                if cell_row >= sheet.rows or cell_column >= sheet.columns:
                    sheet.add(cell_row, cell_column, limits)
            if cell_shared and kind == VALUE:
                value_start = position
        elif kind == SHEET_DATA:
            if not in_sheet:
                in_sheet = True
                part.sheet = sheet
        elif kind == SST:
            in_strings = True
            part.strings = strings
            count = attrs.get("uniqueCount", "").removeprefix("+").lstrip("0")
            if count.isascii() and count.isdigit():
                if len(count) > 12 or int(count) > limits.cells:
                    raise damaged()  # calamine reserves room for this many strings at once
        elif kind == SI and in_strings:
            if string_start >= 0:
                raise damaged()  # a string inside a string
            string_start = position

    def end(name: str) -> None:
        nonlocal last, row, row_digits, column, cell_start, cell_shared, value_start
        nonlocal string_start
        # Every text and start tag lies before some end tag, so the distance between end
        # tags bounds them all.
        position = last = parser.CurrentByteIndex
        kind = kinds[name]
        if not kind:
            return
        if kind == CELL:
            if cell_start < 0:
                return
            size = position - cell_start
            if size > longest:
                raise _long_cell(size, (cell_row, cell_column), limits)
            sheet.text_bytes += size
            cell_start = -1
            cell_shared = False
            column += 1
        elif kind == ROW:
            if in_sheet:
                row += 1
                row_digits = str(row + 1)
                column = 0
        elif kind == VALUE:
            if value_start >= 0:
                if value_start >= current_at:
                    element = current[value_start - current_at : position - current_at]
                else:
                    element = raw(value_start, position)
                # The digits after the start tag, as calamine reads them; anything else (an
                # entity, a comment, spaces) counts as the largest string.
                digits = element[element.find(b">") + 1 :]
                refs.append(int(digits) if digits.isdigit() and len(digits) < 19 else -1)
                value_start = -1
        elif kind == SI and string_start >= 0:
            size = position - string_start
            if size > longest:
                raise long_text(size, _("A text of the workbook"), limits)
            strings.append(size)
            string_start = -1

    def raw(start: int, end: int) -> bytes:
        if start >= current_at:
            return current[start - current_at : end - current_at]
        if start >= previous_at:  # a cell is refused long before it spans three chunks
            return (previous + current)[start - previous_at : end - previous_at]
        return b""

    def doctype(*args) -> None:
        # A DTD may declare entities (and "billion laughs"); no workbook part has one.
        raise _LeftOut

    def declaration(version, encoding, standalone) -> None:
        # expat reads the part as UTF-8 whatever it declares; calamine would follow the
        # declaration, and then the two could see different elements.
        if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
            raise _LeftOut

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    fed = 0
    while chunk := stream.read(CHUNK):
        if not fed and (chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in chunk[:4]):
            raise _LeftOut  # UTF-16 or UTF-32: expat would follow the byte order mark
        previous, previous_at, current, current_at = current, current_at, chunk, fed
        parser.Parse(chunk, False)
        fed += len(chunk)
        # An element or a text still open must not outgrow its bound.
        if cell_start >= 0 and fed - cell_start > longest:
            raise _long_cell(fed - cell_start, (cell_row, cell_column), limits)
        if string_start >= 0 and fed - string_start > longest:
            raise long_text(fed - string_start, _("A text of the workbook"), limits)
        if fed - last > LONGEST_EVENT:
            raise _LeftOut
    parser.Parse(b"", True)
    return part


def _long_cell(size: int, cell: tuple[int, int], limits: Limits) -> TableError:
    return long_text(size, _("The text of cell %(cell)s") % {"cell": cell_name(*cell)}, limits)


def _kind(name: str) -> int:
    # quick-xml's local name: what follows the first colon.
    return KINDS.get(name.partition(":")[2] if ":" in name else name, OTHER)


_COLUMNS: dict[str, int] = {}


def _position(ref: str) -> tuple[int, int]:
    """calamine's reading of "B3" as (2, 1), 0-based: letters (either case), then a row
    from 1; the column is -1 without letters. Anything else is an error in calamine too."""
    digits = ref.lstrip(string.ascii_letters)
    if not (digits.isascii() and digits.isdigit()):
        raise damaged()
    row = int(digits) - 1 if len(digits) <= 12 else BEYOND
    if row < 0:
        raise damaged()
    letters = ref[: len(ref) - len(digits)]
    column = _COLUMNS.get(letters)
    if column is None:
        column = -1
        for letter in letters.upper()[:8]:
            column = (column + 1) * 26 + ord(letter) - 65
        if len(letters) > 8:
            column = BEYOND
        if len(_COLUMNS) < 10_000:
            _COLUMNS[letters] = column
    return row, column


def _shared_bounds(tables: list[array]) -> tuple[array, int]:
    """For each shared-string index, the largest string calamine may copy when a cell names
    it: the string itself, string 0, or the string a leading part of the digits names
    (calamine stops reading the index at an entity or a comment). And the largest string."""
    if not tables:
        return array("q"), 0
    sizes = array("q", tables[0])
    for other in tables[1:]:  # several parts hold an <sst>: take the larger at each index
        if len(other) > len(sizes):
            sizes.extend([0] * (len(other) - len(sizes)))
        for index, size in enumerate(other):
            sizes[index] = max(sizes[index], size)
    bound = array("q", sizes)
    first = sizes[0] if sizes else 0
    for index in range(len(bound)):
        bound[index] = max(sizes[index], first if index < 10 else bound[index // 10])
    return bound, max(sizes, default=0)


def _shared_text(refs: array, bound: array, largest: int) -> int:
    """The bytes of shared strings the cells copy; an index calamine may read otherwise
    than written (not plain digits, or beyond the table) counts as the largest string."""
    if not refs:
        return 0
    if min(refs) >= 0 and max(refs) < len(bound):
        return sum(map(bound.__getitem__, refs))
    return sum(bound[i] if 0 <= i < len(bound) else largest for i in refs)


def _rezip(archive: zipfile.ZipFile, kept: list[zipfile.ZipInfo]) -> bytes:
    """The parts that were weighed, as a new zip: calamine reads exactly these bytes, and
    two zip readers cannot disagree about what is inside. Compressed (fast), so a file that
    passed holds about its packed size in memory here, not its unpacked size."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as safe:
        for info in kept:
            try:
                with archive.open(info) as source, safe.open(info.filename, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK)
            except (zipfile.BadZipFile, OSError, zlib.error) as exc:
                raise damaged() from exc
    return out.getvalue()
