"""The .xls side of the guard (BIFF inside an OLE compound file): calamine parses every
sheet when it opens one, and reserves each sheet's DIMENSIONS range before reading a cell."""

import struct

from django.utils.translation import gettext as _

from huzhu.tabular import Limits, TableError
from huzhu.workbook_guard.common import Extent, damaged

WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")
BOF, EOF, BOUNDSHEET, SST, CONTINUE, DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x00FC, 0x003C, 0x0200
LABELSST, MULRK, FORMULA = 0x00FD, 0x00BD, 0x0006
# Records holding one cell at (row, column) in their first four bytes.
CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, LABELSST, FORMULA}


def check_xls(content: bytes, limits: Limits) -> None:
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
            raise damaged()
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
            raise damaged()
        return ole.openstream(found[0]).read()
    except TableError:
        raise
    except Exception as exc:  # olefile raises OSError, struct.error, IndexError …
        raise damaged() from exc


def _records(stream: memoryview, position: int):
    """(offset, type, data, continuation data) of each BIFF record from `position`, as
    calamine splits them; slices of the stream, not copies."""
    size = len(stream)
    while position < size:
        if size - position < 4:
            raise damaged()
        kind, length = struct.unpack_from("<HH", stream, position)
        start = position
        position += 4 + length
        if position > size:
            raise damaged()
        data = stream[start + 4 : position]
        continues = []
        while size - position > 4 and struct.unpack_from("<H", stream, position)[0] == CONTINUE:
            length = struct.unpack_from("<H", stream, position + 2)[0]
            if position + 4 + length > size:
                raise damaged()
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
                    raise damaged()
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
                    raise damaged()
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
        raise damaged()
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return
    rows = last_row - first_row
    columns = last_col - first_col
    if rows <= 0 or columns <= 0:
        # An inverted range: calamine's subtraction would wrap round to billions of cells.
        raise damaged()
    if rows > limits.rows or columns > limits.columns:
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
