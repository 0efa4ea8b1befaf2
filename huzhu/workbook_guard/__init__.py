"""Inspect an uploaded workbook before calamine reads it.

calamine builds a dense grid from the first to the last cell it finds, with no limit: one
value in A1 and one in XFD1048576 make it ask for 512 GB, and the process aborts (a Rust
allocation failure is not a Python exception). A shared string is copied into every cell
that refers to it, and a count written in the file may be reserved before anything is
read. So the container is opened here first, following calamine's reading rules, and only a
file within `Limits` goes on. The file's content decides how it is read, never its name.
"""

from huzhu.tabular import OLE_MAGIC, ZIP_MAGIC, Limits
from huzhu.workbook_guard.common import damaged
from huzhu.workbook_guard.xls import check_xls
from huzhu.workbook_guard.xlsx import checked_xlsx


def checked_workbook(content: bytes, limits: Limits) -> bytes:
    """The workbook to hand to calamine, or TableError saying which limit it breaks."""
    if content.startswith(ZIP_MAGIC):
        return checked_xlsx(content, limits)
    if content.startswith(OLE_MAGIC):
        check_xls(content, limits)
        return content
    raise damaged()
