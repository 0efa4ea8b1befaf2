"""What the .xlsx and .xls guards share: the far corner of a sheet, and their messages."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from huzhu.tabular import Limits, TableError, cell_name, quote

MB = 1024 * 1024


def damaged() -> TableError:
    return TableError(_("The workbook cannot be read: it is damaged or not an Excel file."))


def outside_table(row: int, column: int, limits: Limits) -> TableError:
    return TableError(
        _(
            "Cell %(cell)s holds data, but a table may have at most %(rows)s rows "
            "and %(columns)s columns. Delete what lies outside the table and upload "
            "again."
        )
        % {"cell": far_cell_name(row, column), "rows": limits.rows, "columns": limits.columns}
    )


@dataclass
class Extent:
    """The far corner of the cells a sheet holds, and the text calamine will copy out."""

    rows: int = 0
    columns: int = 0
    text_bytes: int = 0

    def add(self, row: int, column: int, limits: Limits) -> None:
        if row >= limits.rows or column >= limits.columns:
            raise outside_table(row, column, limits)
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
            raise too_much_text(limits)


def far_cell_name(row: int, column: int) -> str:
    # A forged position may have hundreds of digits; the message needs only its size.
    if row > 10**9 or column > 10**6:
        return quote(f"R{row + 1}C{column + 1}", 30)
    return cell_name(row, column)


def too_much_text(limits: Limits) -> TableError:
    return TableError(
        _("The workbook unpacks to more than %(size)s MB; split it into smaller files.")
        % {"size": limits.unpacked_bytes // MB}
    )


def longest_cell_bytes(limits: Limits) -> int:
    """The most bytes of XML one cell may span: markup, entities and rich-text runs around
    at most `cell_chars` characters (up to four UTF-8 bytes each). The exact count is
    checked on the text after reading."""
    return limits.cell_chars * 8 + 4096


def long_text(size: int, where: str, limits: Limits) -> TableError:
    # `size` is what was read before refusing, not the whole text: the rest is never unpacked.
    return TableError(
        _("%(where)s is longer than %(size)s KB; a cell may hold at most %(limit)s characters.")
        % {"where": where, "size": size // 1024, "limit": limits.cell_chars}
    )
