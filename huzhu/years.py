"""Scheme years: the one range every page, command and report accepts.

A year outside it is not a scheme year but bad input (a typo, or a probe with thirty digits
that SQLite cannot hold in an integer and Python's dates cannot represent).
"""

from django.utils.translation import gettext as _

FIRST_YEAR = 2000
LAST_YEAR = 2100


def scheme_year(value: object) -> int | None:
    """The year written as ASCII digits (or an int) within the range; otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        # isdigit() alone admits "²" and other digits int() refuses or reads differently.
        if not (text.isascii() and text.isdigit() and len(text) <= 4):
            return None
        value = int(text)
    if isinstance(value, int) and FIRST_YEAR <= value <= LAST_YEAR:
        return value
    return None


def year_option_error(option: str) -> str:
    """The message for a command-line year outside the range."""
    return _("%(option)s must be a year from %(first)s to %(last)s.") % {
        "option": option,
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }
