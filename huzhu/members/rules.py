"""Validation and normalisation of what people type for a member (SPEC M2–M5).

Each `clean_*` function returns the normalised value or raises `InvalidValue` whose
message (Chinese, through the catalog) names the problem. The roster importer, the staff
forms and the member portal all call these, so a value is judged the same everywhere.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from operator import mul

from django.utils.translation import gettext as _

from huzhu.dates import scheme_today
from huzhu.tabular import normalize_width


class InvalidValue(ValueError):
    @property
    def message(self) -> str:
        return str(self.args[0])


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# GB/T 2260 province-level codes: the first two digits of every real ID number.
PROVINCE_CODES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
}
WHITESPACE = re.compile(r"\s+")


def id_check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError(first17)
    total = sum(map(mul, map(int, first17), ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


# The usual cell: 18 ASCII characters already clean (checked below like any other).
PLAIN_ID = re.compile(r"[0-9]{17}[0-9X]")


def clean_id_number(raw: str, *, today: datetime.date | None = None) -> str:
    """SPEC M2: an 18-character resident ID with a valid birth date and check character."""
    if type(raw) is str and PLAIN_ID.fullmatch(raw):
        value = raw  # nothing to normalise: the general path would return it unchanged
    else:
        value = WHITESPACE.sub("", normalize_width(str(raw or ""))).upper()
    if not value:
        raise InvalidValue(_("Enter the ID number."))
    if len(value) == 15 and value.isdigit():
        raise InvalidValue(
            _("This is an old 15-digit ID number: enter the 18-digit number on the ID card.")
        )
    if len(value) != 18:
        raise InvalidValue(
            _("An ID number has 18 characters; this one has %(count)s.") % {"count": len(value)}
        )
    if not (value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
        raise InvalidValue(_("An ID number is 17 digits followed by a digit or X."))
    if value[:2] not in PROVINCE_CODES:
        raise InvalidValue(_("The ID number does not start with a valid region code."))
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidValue(
            _("The birth date in the ID number (%(date)s) is not a real date.")
            % {"date": value[6:14]}
        ) from None
    if birth > (today or scheme_today()) or birth.year < 1900:
        raise InvalidValue(
            _("The birth date in the ID number (%(date)s) is impossible.")
            % {"date": birth.isoformat()}
        )
    if id_check_char(value[:17]) != value[17]:
        raise InvalidValue(
            _(
                "The last character (check character) of the ID number is wrong: "
                "please check the number."
            )
        )
    return value


def birth_date_of(id_number: str) -> datetime.date:
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
MOBILE_ASCII = re.compile(r"1[3-9][0-9]{9}")


def clean_phone(raw: str) -> str:
    """SPEC M3: a mainland mobile number; +86, 86, spaces and dashes are removed."""
    if type(raw) is str and MOBILE_ASCII.fullmatch(raw):
        return raw  # the usual cell: the general path below returns it unchanged
    value = PHONE_SEPARATORS.sub("", normalize_width(str(raw or "")))
    if not value:
        raise InvalidValue(_("Enter the mobile phone number."))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not value.isdigit():
        raise InvalidValue(_("A mobile phone number contains only digits."))
    if value.startswith("0"):
        raise InvalidValue(_("This looks like a landline number: enter a mobile phone number."))
    if len(value) != 11:
        raise InvalidValue(
            _("A mobile phone number has 11 digits; this one has %(count)s.")
            % {"count": len(value)}
        )
    if not MOBILE.match(value):
        raise InvalidValue(_("A mobile phone number starts with 13 to 19."))
    return value


PLAIN_CARD = re.compile(r"[0-9]{16,19}")


def clean_union_card(raw: str) -> str:
    """SPEC M4: 16 to 19 digits once spaces are removed."""
    if type(raw) is str and PLAIN_CARD.fullmatch(raw):
        return raw  # the usual cell: the general path below returns it unchanged
    value = PHONE_SEPARATORS.sub("", normalize_width(str(raw or "")))
    if not value:
        raise InvalidValue(_("Enter the union card number."))
    if not value.isdigit():
        raise InvalidValue(_("A union card number contains only digits."))
    if not 16 <= len(value) <= 19:
        raise InvalidValue(
            _("A union card number has 16 to 19 digits; this one has %(count)s.")
            % {"count": len(value)}
        )
    return value


MIDDLE_DOTS = re.compile(r"[•・･．.∙⋅]")
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef〇"
NAME = re.compile(rf"^[{CJK}A-Za-z·]+( [A-Za-z·]+)*$")
HAS_CJK = re.compile(rf"[{CJK}]")


# The usual cell: 2 to 30 CJK characters and nothing else.
PLAIN_NAME = re.compile(rf"[{CJK}]{{2,30}}")


def clean_name(raw: str) -> str:
    """SPEC M5: 2 to 30 Chinese characters, letters or the middle dot '·'."""
    if type(raw) is str and PLAIN_NAME.fullmatch(raw):
        return raw  # the general path below returns it unchanged
    value = MIDDLE_DOTS.sub("·", normalize_width(str(raw or "")).strip())
    # Rosters often pad two-character names ("张  三"); spaces never belong in a Chinese name.
    value = WHITESPACE.sub("", value) if HAS_CJK.search(value) else WHITESPACE.sub(" ", value)
    if not value:
        raise InvalidValue(_("Enter the name."))
    if not NAME.match(value) or value.startswith("·") or value.endswith("·"):
        raise InvalidValue(
            _("A name may contain only Chinese characters, letters and the middle dot “·”.")
        )
    if not 2 <= len(value) <= 30:
        raise InvalidValue(
            _("A name has 2 to 30 characters; this one has %(count)s.") % {"count": len(value)}
        )
    return value


def mask_id_number(value: str) -> str:
    """SPEC S2: 320412********1234."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """SPEC S2: 138****5678."""
    return value[:3] + "****" + value[-4:]


def mask_card(value: str) -> str:
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_LONG_NUMBER = re.compile(r"[0-9]{11,}[Xx]?")


def mask_numbers_in_text(text: str) -> str:
    """SPEC S2 for free text from outside (a bank's message): every run of 11 or more
    digits masked as a phone (11), an ID number (15 or 18) or a card (any other length)."""

    def masked(found: re.Match) -> str:
        value = found.group()
        if len(value) == 11:
            return mask_phone(value)
        if len(value) in (15, 18):
            return mask_id_number(value)
        return mask_card(value)

    return _LONG_NUMBER.sub(masked, text) if any(c.isdigit() for c in text) else text


# --- what a staff search box holds (SPEC S2) --------------------------------------------


class SearchKind(StrEnum):
    ALL = "all"
    NAME = "name"
    LAST_FOUR = "last_four"  # of an ID or phone number
    MASKED = "masked"  # a number as lists show it: 320412********1234, 138****5678
    FULL_ID = "full_id"
    FULL_PHONE = "full_phone"
    UNCLEAR = "unclear"  # digits that are none of the above


@dataclass(frozen=True)
class MemberSearch:
    kind: SearchKind
    value: str = ""

    @property
    def is_full_number(self) -> bool:
        return self.kind in (SearchKind.FULL_ID, SearchKind.FULL_PHONE)

    @property
    def masked(self) -> str:
        if self.kind == SearchKind.FULL_ID:
            return mask_id_number(self.value)
        if self.kind == SearchKind.FULL_PHONE:
            return mask_phone(self.value)
        return self.value


LAST_FOUR = re.compile(r"^\d{3}[\dX]$")
MASKED_NUMBER = re.compile(r"^(\d{6}\*{8}\d{3}[\dX]|1\d{2}\*{4}\d{4})$")


def classify_search(raw: str) -> MemberSearch:
    """Sort a search into the kinds above.

    Only a full number is looked up through the keyed hash, and only for roles that may see
    full numbers (members.services.search_by_full_number). Every other kind is compared
    with what the lists already show — the name and the masked numbers — so no answer can
    confirm a number the user could not see: trying the ~1,600 IDs that fit a masked one
    through the name or fragment search finds nothing.
    """
    value = normalize_width(str(raw or "")).strip()
    if not value:
        return MemberSearch(SearchKind.ALL)
    # No name or number holds control characters or lone surrogates, and PostgreSQL
    # refuses a NUL in any text it is sent: such a query is answered, not searched.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        return MemberSearch(SearchKind.UNCLEAR)
    compact = PHONE_SEPARATORS.sub("", value).upper()
    if not any(ch.isdigit() for ch in compact):
        return MemberSearch(SearchKind.NAME, value)
    if LAST_FOUR.match(compact):
        return MemberSearch(SearchKind.LAST_FOUR, compact)
    if MASKED_NUMBER.match(compact):
        return MemberSearch(SearchKind.MASKED, compact)
    numbers = ((SearchKind.FULL_ID, clean_id_number), (SearchKind.FULL_PHONE, clean_phone))
    for kind, clean in numbers:
        try:
            return MemberSearch(kind, clean(compact))
        except InvalidValue:
            continue
    return MemberSearch(SearchKind.UNCLEAR)
