"""Inspect an uploaded workbook before calamine reads it.

calamine builds a dense grid from the first to the last cell it finds, with no limit: one
value in A1 and one in XFD1048576 make it ask for 512 GB, and the process aborts (a Rust
allocation failure is not a Python exception). A shared string is copied into every cell
that refers to it. A zip part may unpack to gigabytes. So the container is opened here
first, with the same rules calamine applies (cell positions from `r` attributes or from
counting, only `<c>` elements with content, every sheet of an .xls parsed at open), and only
a file within `Limits` goes on — an .xlsx as a new, uncompressed zip of exactly the bytes
checked here, so calamine cannot read anything this module did not see.
"""

import io
import re
import struct
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from huzhu.tabular import Limits, TableError, cell_name, quote

MB = 1024 * 1024


def checked_workbook(content: bytes, limits: Limits) -> bytes:
    """The workbook to hand to calamine, or TableError saying which limit it breaks."""
    if content.startswith(b"PK"):
        return _checked_xlsx(content, limits)
    _check_xls(content, limits)
    return content


def _damaged() -> TableError:
    return TableError(_("The workbook cannot be read: it is damaged or not an Excel file."))


@dataclass
class Extent:
    """The far corner of the cells a sheet holds, and the text calamine will copy out."""

    rows: int = 0
    columns: int = 0
    text_bytes: int = 0

    def add(self, row: int, column: int, limits: Limits) -> None:
        if row >= limits.rows or column >= limits.columns:
            raise TableError(
                _(
                    "Cell %(cell)s holds data, but a table may have at most %(rows)s rows "
                    "and %(columns)s columns. Delete what lies outside the table and upload "
                    "again."
                )
                % {
                    "cell": _far_cell_name(row, column),
                    "rows": limits.rows,
                    "columns": limits.columns,
                }
            )
        self.rows = max(self.rows, row + 1)
        self.columns = max(self.columns, column + 1)

    def check(self, limits: Limits) -> None:
        if self.rows * self.columns > limits.cells:
            raise TableError(
                _(
                    "The table spans %(rows)s rows and %(columns)s columns; at most "
                    "%(cells)s cells are read. Delete empty rows and columns, or split the "
                    "file."
                )
                % {"rows": self.rows, "columns": self.columns, "cells": limits.cells}
            )
        if self.text_bytes > limits.unpacked_bytes:
            raise _too_much_text(limits)


def _far_cell_name(row: int, column: int) -> str:
    # A forged position may have hundreds of digits; the message needs only its size.
    if row > 10**9 or column > 10**6:
        return quote(f"R{row + 1}C{column + 1}", 30)
    return cell_name(row, column)


def _too_much_text(limits: Limits) -> TableError:
    return TableError(
        _("The workbook unpacks to more than %(size)s MB; split it into smaller files.")
        % {"size": limits.unpacked_bytes // MB}
    )


def _longest_cell_bytes(limits: Limits) -> int:
    # Markup, entities and rich-text runs around at most `cell_chars` characters (up to
    # four UTF-8 bytes each); the exact count is checked on the text after reading.
    return limits.cell_chars * 8 + 4096


def _long_text(size: int, where: str, limits: Limits) -> TableError:
    return TableError(
        _(
            "%(where)s holds about %(size)s KB of text; a cell may hold at most %(limit)s "
            "characters."
        )
        % {"where": where, "size": size // 1024, "limit": limits.cell_chars}
    )


# ---------------------------------------------------------------------------------------
# .xlsx


def _checked_xlsx(content: bytes, limits: Limits) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _damaged() from exc
    names = [info.filename for info in infos]
    if len(infos) > 2000 or len(set(names)) != len(names):
        # Two parts of one name are read differently by different zip readers.
        raise _damaged()
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
        raise _too_much_text(limits)

    # Shared strings first (a sheet's cells are weighed by the strings they copy), then
    # every part once more, each scanned and stored before the next is unpacked.
    shared: list[int] = []
    for info in infos:
        if _is_xml(info.filename):
            data = _unpack(archive, info)
            if _SST_ROOT.search(data):
                shared.extend(_shared_string_sizes(data, limits))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as safe:
        for info in infos:
            if info.is_dir():
                continue
            data = _unpack(archive, info)
            if _is_xml(info.filename) and b"sheetData" in data:
                _scan_sheet(data, shared, limits)
            safe.writestr(info.filename, data)
            del data
    return out.getvalue()


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        # Reads at most the declared size (bounded above) and checks the CRC.
        data = archive.read(info)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise _damaged() from exc
    if _is_xml(info.filename) and b"\x00" in data[:200]:
        # UTF-16 parts would slip past the byte patterns below.
        raise _damaged()
    return data


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_SHEET_DATA = re.compile(rb"<" + _PREFIX + rb"sheetData(?=[\s/>])")
_SST_ROOT = re.compile(rb"<" + _PREFIX + rb"sst(?=[\s/>])")
_SI = re.compile(rb"<(/?)" + _PREFIX + rb"(si|sst)(?=[\s/>])")
_TOKEN = re.compile(rb"<(/?)" + _PREFIX + rb"(row|c|sheetData)(?=[\s/>])")
# The rest of a start tag: attributes (">" may stand inside quotes) and the end.
_ATTRS = re.compile(rb"""((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""")
_ATTR = re.compile(rb"""\s([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_VALUE = re.compile(rb"\s*<" + _PREFIX + rb"v\s*>\s*([0-9]{1,10})\s*</")
_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")


def _attributes(xml: bytes, end: int) -> tuple[dict[bytes, bytes], bool, int]:
    """The attributes of the start tag whose name ends at `end`, whether it closes itself,
    and where it ends."""
    match = _ATTRS.match(xml, end)
    if match is None:
        raise _damaged()
    attrs: dict[bytes, bytes] = {}
    for attr in _ATTR.finditer(match.group(1)):
        key = attr.group(1)
        if key in attrs:
            raise _damaged()
        attrs[key] = attr.group(2) if attr.group(2) is not None else attr.group(3)
    return attrs, bool(match.group(2)), match.end()


def _position(ref: bytes, need_column: bool) -> tuple[int, int]:
    """calamine's reading of "B3" as (2, 1), 0-based; letters may be lower case."""
    match = _REF.fullmatch(ref)
    if match is None or len(ref) > 40:
        raise _damaged()
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + letter - 64
    row = int(match.group(2)) - 1
    if row < 0 or (need_column and column == 0):
        raise _damaged()
    return row, column - 1


def _shared_string_sizes(xml: bytes, limits: Limits) -> list[int]:
    """The size in bytes of each shared string, refusing one too long to be a cell."""
    longest = _longest_cell_bytes(limits)
    if b":si" not in xml and xml.count(b"<si") == xml.count(b"<si>"):
        # The usual form: each item runs from one "<si>" to the next.
        sizes = list(map(len, xml.split(b"<si>")[1:]))
        if sizes and max(sizes) > longest:
            raise _long_text(max(sizes), _("A text of the workbook"), limits)
        return sizes
    sizes = []
    start = None
    for match in _SI.finditer(xml):
        if start is not None:
            sizes.append(match.start() - start)
            if sizes[-1] > longest:
                raise _long_text(sizes[-1], _("A text of the workbook"), limits)
            start = None
        if not match.group(1) and match.group(2) == b"si":
            start = match.start()
    return sizes


# The usual form of a cell, as every writer we know puts it: no namespace prefix, `r` first.
_CELL_TAG = re.compile(rb"<c[\s/>]")
_CELL_REF = re.compile(rb"<c\s+r\s*=\s*[\"']([A-Za-z]{1,3})([0-9]{1,7})[\"']")
_SHARED_REF = re.compile(
    rb"<c\s+r\s*=\s*[\"'][A-Za-z0-9]+[\"'](?:\s+s\s*=\s*[\"'][0-9]+[\"'])?"
    rb"\s+t\s*=\s*[\"']s[\"']\s*>\s*<v>([0-9]{1,10})</v>"
)


def _scan_sheet(xml: bytes, shared: list[int], limits: Limits) -> None:
    """Bound the grid and the text calamine will build from this sheet.

    Every writer we know (Excel, WPS, LibreOffice, openpyxl, xlsxwriter) gives each cell its
    position in an `r` attribute written first; then the far corner is the largest of them,
    found by a few whole-file searches. Any other file (a cell without `r`, namespace
    prefixes) is walked cell by cell as calamine walks it: slower, and exact."""
    longest = _longest_cell_bytes(limits)
    long_text = re.search(rb">[^<]{%d,}" % longest, xml)
    if long_text:
        before = _CELL_REF.findall(xml, 0, long_text.start())
        where = (
            _("Cell %(cell)s") % {"cell": quote((before[-1][0] + before[-1][1]).decode(), 12)}
            if before
            else _("A text of the workbook")
        )
        raise _long_text(len(long_text.group()), where, limits)
    refs = _CELL_REF.findall(xml)
    if b":sheetData" in xml or len(refs) != len(_CELL_TAG.findall(xml)):
        _walk_sheet(xml, shared, limits)
        return
    extent = Extent()
    if refs:
        letters, digits = zip(*refs, strict=True)
        rows = list(map(int, digits))
        last = rows.index(max(rows))
        if min(rows) < 1:
            raise _damaged()
        far = _position(refs[last][0] + refs[last][1], need_column=True)
        extent.add(*far, limits)
        for name in set(letters):
            extent.add(far[0], _position(name.upper() + b"1", need_column=True)[1], limits)
    indices = list(map(int, _SHARED_REF.findall(xml)))
    # Every attribute whose value is "s" may mark a shared string: the ones not matched
    # above count as the largest string.
    unmatched = xml.count(b'"s"') + xml.count(b"'s'") - len(indices)
    largest = max(shared, default=0)
    if indices and max(indices) < len(shared):
        extent.text_bytes = sum(map(shared.__getitem__, indices))
    else:
        extent.text_bytes = len(indices) * largest
    extent.text_bytes += max(unmatched, 0) * largest
    extent.check(limits)


def _walk_sheet(xml: bytes, shared: list[int], limits: Limits) -> None:
    """Walk the cells of `<sheetData>` as calamine does and bound what it will build."""
    extent = Extent()
    longest = _longest_cell_bytes(limits)
    largest_shared = max(shared, default=0)
    inside = False
    cell_start: int | None = None
    cell = ""
    row_index = column_index = 0
    for match in _TOKEN.finditer(xml):
        closing, name = match.group(1), match.group(2)
        if not inside:
            if name == b"sheetData" and not closing:
                inside = not _attributes(xml, match.end())[1]
            continue
        if cell_start is not None:
            size = match.start() - cell_start
            if size > longest:
                raise _long_text(size, _("Cell %(cell)s") % {"cell": cell}, limits)
            extent.text_bytes += size
        if closing:
            if name == b"c" and cell_start is not None:
                cell_start = None
                continue
            if cell_start is not None:
                raise _damaged()
            if name == b"row":
                row_index += 1
                column_index = 0
            elif name == b"sheetData":
                break
            continue
        if cell_start is not None:
            raise _damaged()  # a cell inside a cell
        attrs, empty, tag_end = _attributes(xml, match.end())
        if empty:
            continue  # calamine skips <row/> and <c/>
        ref = attrs.get(b"r")
        if name == b"row":
            if ref is not None:
                row_index = _position(ref, need_column=False)[0]
            continue
        if name == b"sheetData":
            raise _damaged()
        if ref is not None:
            row, column = _position(ref, need_column=True)
            column_index = column
        else:
            row, column = row_index, column_index
        column_index += 1
        extent.add(row, column, limits)
        cell = cell_name(row, column)
        cell_start = match.start()
        if attrs.get(b"t") == b"s":
            # calamine copies the shared string into the cell.
            value = _VALUE.match(xml, tag_end)
            index = int(value.group(1)) if value else -1
            extent.text_bytes += shared[index] if 0 <= index < len(shared) else largest_shared
    extent.check(limits)


# ---------------------------------------------------------------------------------------
# .xls (BIFF inside an OLE compound file): calamine parses every sheet when it opens one.

WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")
BOF, EOF, BOUNDSHEET, SST, CONTINUE, DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x00FC, 0x003C, 0x0200
LABELSST, MULRK, FORMULA = 0x00FD, 0x00BD, 0x0006
# Records holding one cell at (row, column) in their first four bytes.
CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, LABELSST, FORMULA}


def _check_xls(content: bytes, limits: Limits) -> None:
    stream = memoryview(_workbook_stream(content))
    sheets: list[int] = []
    strings: list[int] = []
    for _offset, kind, data, continues in _records(stream, 0):
        if kind == BOUNDSHEET and len(data) >= 4:
            sheets.append(struct.unpack_from("<I", data)[0])
        elif kind == SST:
            strings = _sst_sizes(bytes(data), [bytes(c) for c in continues])
        elif kind == EOF:
            break
    for position in sheets:
        if position >= len(stream):
            raise _damaged()
        _check_xls_sheet(_records(stream, position), strings, limits)


def _workbook_stream(content: bytes) -> bytes:
    import olefile

    try:
        ole = olefile.OleFileIO(content)
        # calamine takes the first directory entry of one of these names, reachable or
        # not; refuse a file where that could be another stream than the one read here.
        entries = []
        for sid in range(len(ole.direntries)):
            entry = ole.direntries[sid] or ole._load_direntry(sid)
            if entry is not None and entry.entry_type == olefile.STGTY_STREAM:
                entries.append(entry.name)
        found = [name for name in entries if name.upper() in {"WORKBOOK", "BOOK"}]
        if len(found) != 1:
            raise _damaged()
        return ole.openstream(found[0]).read()
    except TableError:
        raise
    except Exception as exc:  # olefile raises OSError, struct.error, IndexError …
        raise _damaged() from exc


def _records(stream: memoryview, position: int):
    """(offset, type, data, continuation data) of each BIFF record from `position`, as
    calamine splits them; slices of the stream, not copies."""
    size = len(stream)
    while position < size:
        if size - position < 4:
            raise _damaged()
        kind, length = struct.unpack_from("<HH", stream, position)
        start = position
        position += 4 + length
        if position > size:
            raise _damaged()
        data = stream[start + 4 : position]
        continues = []
        while size - position > 4 and struct.unpack_from("<H", stream, position)[0] == CONTINUE:
            length = struct.unpack_from("<H", stream, position + 2)[0]
            if position + 4 + length > size:
                raise _damaged()
            continues.append(stream[position + 4 : position + 4 + length])
            position += 4 + length
        yield start, kind, data, continues


def _sst_sizes(data: bytes, continues: list[bytes]) -> list[int]:
    """Characters of each string of the shared string table (MS-XLS 2.4.265); a string's
    characters may run on into CONTINUE records, each then opening with a flags byte."""
    parts = [data[8:], *continues]
    part, pos = 0, 0
    sizes: list[int] = []

    def take(count: int) -> bytes:
        nonlocal part, pos
        out = b""
        while len(out) < count:
            if pos >= len(parts[part]):
                part, pos = part + 1, 0
                if part >= len(parts):
                    raise _damaged()
            chunk = parts[part][pos : pos + count - len(out)]
            pos += len(chunk)
            out += chunk
        return out

    while True:
        if pos >= len(parts[part]):
            if part + 1 >= len(parts):
                return sizes
            part, pos = part + 1, 0
            continue
        chars, flags = struct.unpack("<HB", take(3))
        runs = struct.unpack("<H", take(2))[0] if flags & 0x08 else 0
        extra = struct.unpack("<I", take(4))[0] if flags & 0x04 else 0
        left, wide = chars, flags & 0x01
        while left:
            if pos >= len(parts[part]):
                part, pos = part + 1, 0
                if part >= len(parts):
                    raise _damaged()
                wide = parts[part][0] & 0x01 if parts[part] else 0
                pos = 1
            room = (len(parts[part]) - pos) // (2 if wide else 1)
            step = min(left, max(room, 1))
            take(step * (2 if wide else 1))
            left -= step
        take(runs * 4 + extra)
        sizes.append(chars)


def _check_xls_sheet(records, strings: list[int], limits: Limits) -> None:
    extent = Extent()
    seen_bof = False
    depth = 0
    largest = max(strings, default=0)
    for _offset, kind, data, _continues in records:
        if kind == BOF:
            if seen_bof:
                depth += 1
            seen_bof = True
        elif kind == EOF:
            if depth == 0:
                break
            depth -= 1
        # Cells of nested substreams (charts) are counted too: some calamine versions
        # read them.
        elif kind == DIMENSIONS and depth == 0:
            _check_xls_dimensions(data, limits)
        elif kind in CELL_RECORDS and len(data) >= 4:
            row, column = struct.unpack_from("<HH", data)
            extent.add(row, column, limits)
            if kind == LABELSST and len(data) >= 10:
                index = struct.unpack_from("<I", data, 6)[0]
                # UTF-8 of a UTF-16 character takes up to three bytes.
                extent.text_bytes += 3 * (strings[index] if index < len(strings) else largest)
            else:
                extent.text_bytes += len(data)
        elif kind == MULRK and len(data) >= 6:
            row, first = struct.unpack_from("<HH", data)
            last = struct.unpack_from("<H", data, len(data) - 2)[0]
            extent.add(row, max(first, last), limits)
    extent.check(limits)


def _check_xls_dimensions(data: bytes, limits: Limits) -> None:
    """calamine reserves room for the DIMENSIONS range before reading a cell."""
    if len(data) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", data)
    elif len(data) == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data)
    else:
        raise _damaged()
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return
    rows = last_row - first_row
    columns = last_col - first_col
    if rows <= 0 or columns <= 0 or rows > limits.rows or columns > limits.columns:
        raise TableError(
            _(
                "The workbook claims a range of %(rows)s rows and %(columns)s columns; a "
                "table may have at most %(max_rows)s rows and %(max_columns)s columns."
            )
            % {
                "rows": rows,
                "columns": columns,
                "max_rows": limits.rows,
                "max_columns": limits.columns,
            }
        )
