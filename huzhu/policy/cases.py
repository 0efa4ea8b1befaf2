"""Reading one calculator case (SPEC §10): defaults, types and the error that names the field.

Plain functions over plain values; the calculator, the API and the pages all parse here.
"""

import datetime
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from huzhu.money import to_fen
from huzhu.policy.codes import (
    BENEFITS,
    CAUSES,
    CERTIFICATE_LEVELS,
    CRITICAL_ILLNESS_EXCLUSIONS,
    GENERAL_EXCLUSIONS,
    HOSPITAL_GRADES,
    INSURANCE_SCOPES,
    WORK_INJURY_GRADES,
)

SCOPES = INSURANCE_SCOPES
LEVELS = CERTIFICATE_LEVELS
GRADES = WORK_INJURY_GRADES
ZERO = Decimal(0)
ONE = Decimal(1)

# Bounds of the input (docs/decisions.md), so that no input costs much and every answer
# stays short. The OpenAPI document is built from these same names.
MAX_INTEGER_DIGITS = 12  # an amount is below 1,000,000,000,000 yuan
MAX_STRING_DECIMALS = 10  # in a string; decimals beyond the fen are then rounded (D1)
RATIO_PLACES = Decimal("0.0001")  # the liability share is taken to 0.01 %
MAX_STAYS = 50
MAX_ILLNESS_LENGTH = 50
# A JSON Schema pattern is searched for, not matched whole, and Python's `$` also matches
# before a final newline. The blanks allowed around a number include the newline, so each
# pattern accepts the same strings in Python, in the schema validators and in this parser.
_BLANK = r"[ \t\r\n]*"
AMOUNT_PATTERN = (
    rf"^{_BLANK}[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_STRING_DECIMALS}}})?{_BLANK}$"
)
_DECIMALS = f"{{1,{MAX_STRING_DECIMALS}}}"
ZERO_PATTERN = rf"^{_BLANK}0{{1,{MAX_INTEGER_DIGITS}}}(\.0{_DECIMALS})?{_BLANK}$"
RATIO_PATTERN = rf"^{_BLANK}(0(\.[0-9]{_DECIMALS})?|1(\.0{_DECIMALS})?){_BLANK}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _class_items(*ranges: tuple[int, int]) -> str:
    """Code point ranges as the inside of a regex class that Python's re, ECMA-262 and
    jsonschema-rs read alike: `\\uXXXX` escapes in the BMP, the characters themselves
    beyond it (each engine spells an escape for those differently)."""

    def one(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(one(lo) if lo == hi else f"{one(lo)}-{one(hi)}" for lo, hi in ranges)


# What an illness name may hold. Refused anywhere in it: controls (Cc), format characters
# (Cf, as of Unicode 15.1: zero-width space and joiners, direction marks, the BOM, soft
# hyphen, tags) and the line and paragraph separators; a test checks this covers every Cc
# and Cf character of the running Python. Lone surrogates (Cs) cannot come in a UTF-8 body
# (`load_json` refuses their escapes) and no schema engine can spell them, so only the
# parser lists them.
_UNSEEN = _class_items(
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_SURROGATES = _class_items((0xD800, 0xDFFF))
# Allowed inside a name but not enough on their own: blanks (Zs) and characters that show
# nothing (fillers, variation selectors, the combining grapheme joiner, the braille blank).
_BLANKS = _class_items(
    (0x0020, 0x0020),
    (0x00A0, 0x00A0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180D),
    (0x180F, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
# The whole name (JSON Schema's `$` is the end of the text, Python's fullmatch here): none
# of the unseen characters, and at least one visible one.
ILLNESS_PATTERN = f"^[^{_UNSEEN}]*[^{_UNSEEN}{_BLANKS}][^{_UNSEEN}]*$"
_PLAIN_AMOUNT = re.compile(rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{_DECIMALS})?")
_NUMBER_TEXT = re.compile(rf"^{_BLANK}(-?)([0-9]+)(?:\.([0-9]+))?{_BLANK}$")
_RATIO_TEXT = re.compile(RATIO_PATTERN)
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNSEEN_CHARACTER = re.compile(f"[{_UNSEEN}{_SURROGATES}]")
_VISIBLE_CHARACTER = re.compile(f"[^{_UNSEEN}{_SURROGATES}{_BLANKS}]")

TOP_FIELDS = {
    "hospitalization": frozenset({"year", "benefit", "already_paid", "episodes"}),
    "critical_illness": frozenset(
        {
            "year",
            "benefit",
            "already_paid",
            "illness",
            "diagnosed_on",
            "first_diagnosed_on",
            "hospital",
            "exclusions",
        }
    ),
    "work_injury": frozenset(
        {
            "year",
            "benefit",
            "already_paid",
            "injured_on",
            "grade",
            "certificate_level",
            "exclusions",
        }
    ),
}
EPISODE_FIELDS = frozenset(
    {
        "admitted_on",
        "cause",
        "insurance_scope",
        "settled_self_pay",
        "unsettled_cost",
        "settlement_pending",
        "traffic_total_cost",
        "liability_ratio",
        "exclusions",
    }
)
HOSPITAL_FIELDS = frozenset({"in_changzhou", "grade"})


class CaseError(ValueError):
    """One bad field: `field` is its path in the case (`episodes[0].liability_ratio`);
    `index` is the case's place in an array, when the JSON reader finds the fault."""

    def __init__(self, field: str, message: str, index: int = 0):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.index = index


# Slots dataclasses, not frozen ones: a frozen dataclass costs twice as much to build, which
# shows at tens of thousands of cases a second. Nothing changes a parsed case.
@dataclass(slots=True)
class Episode:
    admitted_on: datetime.date
    cause: str = "illness"
    insurance_scope: str = "jiangsu"
    settled_self_pay: Decimal = ZERO
    unsettled_cost: Decimal = ZERO
    settlement_pending: bool = False
    traffic_total_cost: Decimal = ZERO
    liability_ratio: Decimal = ONE
    exclusions: tuple[str, ...] = ()


@dataclass(slots=True)
class Case:
    year: int
    benefit: str
    already_paid: Decimal = ZERO
    episodes: tuple[Episode, ...] = ()
    illness: str = ""
    diagnosed_on: datetime.date | None = None
    first_diagnosed_on: datetime.date | None = None
    hospital_in_changzhou: bool = True
    hospital_grade: int = 0
    injured_on: datetime.date | None = None
    grade: int | str = 0
    certificate_level: str = "city"
    exclusions: tuple[str, ...] = ()


def _escaped(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str) -> str:
    """Text with the characters that show nothing or break a line or an encoding (controls,
    format characters, lone surrogates, blanks other than the space) written as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def shown(value) -> str:
    """A value as it may be quoted back in a message: short, visible, whatever was sent."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, str):
        return visible(value if len(value) <= 30 else value[:30] + "…")
    if isinstance(value, Decimal):
        return str(value) if value.adjusted() < 30 or not value.is_finite() else "…"
    if isinstance(value, int | float):
        return str(value) if abs(value) < 10**30 else "…"
    return "[…]" if isinstance(value, list) else "{…}"


def _negative(field: str) -> CaseError:
    return CaseError(field, _("must be 0 or more, written without a minus sign."))


def _too_large(field: str) -> CaseError:
    return CaseError(
        field,
        _("must be less than 1,000,000,000,000 yuan (at most 12 digits before the decimal point)."),
    )


def _number(value, key: str, prefix: str = "") -> Decimal:
    """A non-negative number of the input: a string of digits or a JSON number."""
    # Most amounts are plain digits: read them at once, and build no field path for them.
    if type(value) is str and _PLAIN_AMOUNT.fullmatch(value):
        return Decimal(value)
    return _unusual_number(value, prefix + key)


def _unusual_number(value, field: str) -> Decimal:
    if isinstance(value, str):
        match = _NUMBER_TEXT.search(value)
        if match is None:
            raise CaseError(
                field,
                _("“%(value)s” is not an amount: write it in digits, such as 6200.50.")
                % {"value": shown(value)},
            )
        minus, whole, fraction = match.groups()
        if minus:
            raise _negative(field)
        if len(whole) > MAX_INTEGER_DIGITS:
            raise _too_large(field)
        if fraction and len(fraction) > MAX_STRING_DECIMALS:
            raise CaseError(field, _("has more than 10 digits after the decimal point."))
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value) if -(10**30) < value < 10**30 else Decimal("Infinity")
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raise CaseError(field, _('must be an amount in yuan, e.g. "6200" or "6200.50".'))
    if number.is_nan():
        raise CaseError(field, _("“%(value)s” is not an amount.") % {"value": "NaN"})
    if number.is_signed():  # -0 and -Infinity too
        raise _negative(field)
    if number.is_infinite() or number.adjusted() >= MAX_INTEGER_DIGITS:
        raise _too_large(field)
    # Far below a fen: nothing, and no exponent that later arithmetic cannot hold.
    return number if number.adjusted() >= -(2 * MAX_STRING_DECIMALS) else ZERO


def _optional_money(data: dict, key: str, prefix: str = "") -> Decimal:
    """An amount of money, rounded half-up to the fen as it comes in (SPEC D1)."""
    return to_fen(_number(data[key], key, prefix)) if key in data else ZERO


def _ratio(value, key: str, prefix: str) -> Decimal:
    """The share of liability, 0 to 1, taken to four places (0.01 %) as it comes in."""
    if isinstance(value, str):
        number = Decimal(value.strip(" \t\r\n")) if _RATIO_TEXT.search(value) else None
    else:
        try:
            number = _number(value, key, prefix)
        except CaseError:
            number = None
    if number is None or number > ONE:
        raise CaseError(
            prefix + key, _("must be a number from 0 to 1, such as 0.7 for a 70% share.")
        )
    return number.quantize(RATIO_PLACES, ROUND_HALF_UP)


def _date(value, key: str, prefix: str = "") -> datetime.date:
    if not isinstance(value, str):
        raise CaseError(prefix + key, _("must be a date written YYYY-MM-DD."))
    try:
        if _DATE_TEXT.fullmatch(value) is None:
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CaseError(
            prefix + key,
            _("“%(value)s” is not a date written YYYY-MM-DD.") % {"value": shown(value)},
        ) from None


def _whole(value):
    """An integer as JSON sends it: 3.0 is 3, as JSON Schema counts it; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < 9
        and value == value.to_integral_value()
    ):
        return int(value)
    return None


def _choice(value, choices: tuple, key: str, prefix: str = ""):
    if isinstance(value, Decimal) and _whole(value) is not None:
        value = _whole(value)
    if type(value) not in (str, int) or value not in choices:
        raise CaseError(
            prefix + key,
            _("unknown value “%(value)s”; use one of: %(choices)s.")
            % {"value": shown(value), "choices": ", ".join(map(str, choices))},
        )
    return value


def _bool(value, key: str, prefix: str = "") -> bool:
    if not isinstance(value, bool):
        raise CaseError(prefix + key, _("must be true or false."))
    return value


def _codes(value, allowed: tuple[str, ...], key: str, prefix: str = "") -> tuple[str, ...]:
    """Exclusion codes of the benefit's list (B-X1, B-X2), each once."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(prefix + key, _("must be a list of exclusion codes."))
    if len(value) > len(allowed):
        raise CaseError(
            prefix + key, _("at most %(count)s exclusion codes.") % {"count": len(allowed)}
        )
    for code in value:
        if code not in allowed:
            raise CaseError(
                prefix + key, _("unknown exclusion code “%(code)s”.") % {"code": shown(code)}
            )
    return tuple(dict.fromkeys(value))


def _reject_unknown(data: dict, allowed: frozenset[str], prefix: str) -> None:
    if not allowed.issuperset(data):
        raise CaseError(f"{prefix}{shown(min(data.keys() - allowed))}", _("unknown field."))


def _required(data: dict, key: str, prefix: str = ""):
    if key not in data:
        raise CaseError(prefix + key, _("is required."))
    return data[key]


def parse_case(data) -> Case:
    """A Case from one JSON object; raises CaseError for the first bad field."""
    if not isinstance(data, dict):
        raise CaseError("", _("a case must be a JSON object."))
    benefit = _choice(_required(data, "benefit"), BENEFITS, "benefit")
    _reject_unknown(data, TOP_FIELDS[benefit], "")
    year = _whole(_required(data, "year"))
    if year is None or not 2000 <= year <= 2100:
        raise CaseError("year", _("must be a scheme year such as 2022."))
    already_paid = _optional_money(data, "already_paid")
    if benefit == "hospitalization":
        episodes = data.get("episodes", [])
        if not isinstance(episodes, list):
            raise CaseError("episodes", _("must be a list of hospital stays."))
        if len(episodes) > MAX_STAYS:
            raise CaseError(
                "episodes",
                _("at most %(count)s hospital stays in one case.") % {"count": MAX_STAYS},
            )
        return Case(
            year,
            benefit,
            already_paid,
            episodes=tuple(_episode(e, i) for i, e in enumerate(episodes)),
        )
    if benefit == "critical_illness":
        exclusions = (
            _codes(data["exclusions"], CRITICAL_ILLNESS_EXCLUSIONS, "exclusions")
            if "exclusions" in data
            else ()
        )
        illness = _illness(_required(data, "illness"))
        diagnosed_on = _date(_required(data, "diagnosed_on"), "diagnosed_on")
        # A first diagnosis after this one is a contradiction the calculator explains (a
        # decision, not an input error: docs/decisions.md).
        first = _date(data.get("first_diagnosed_on", data["diagnosed_on"]), "first_diagnosed_on")
        hospital = _required(data, "hospital")
        if not isinstance(hospital, dict):
            raise CaseError("hospital", _("must be an object with in_changzhou and grade."))
        _reject_unknown(hospital, HOSPITAL_FIELDS, "hospital.")
        grade = _choice(
            _required(hospital, "grade", "hospital."), HOSPITAL_GRADES, "grade", "hospital."
        )
        return Case(
            year,
            benefit,
            already_paid,
            illness=illness.strip(),
            diagnosed_on=diagnosed_on,
            first_diagnosed_on=first,
            hospital_in_changzhou=_bool(
                hospital.get("in_changzhou", True), "in_changzhou", "hospital."
            ),
            hospital_grade=grade,
            exclusions=exclusions,
        )
    return Case(
        year,
        benefit,
        already_paid,
        injured_on=_date(_required(data, "injured_on"), "injured_on"),
        grade=_choice(_required(data, "grade"), GRADES, "grade"),
        certificate_level=_choice(
            data.get("certificate_level", "city"), LEVELS, "certificate_level"
        ),
        exclusions=(
            _codes(data["exclusions"], GENERAL_EXCLUSIONS, "exclusions")
            if "exclusions" in data
            else ()
        ),
    )


def _illness(value) -> str:
    """The name or code as typed: 1 to 50 characters, none of them a control or format
    character, at least one visible (ILLNESS_PATTERN, the same rule)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ILLNESS_LENGTH:
        raise CaseError(
            "illness",
            _("must be the name or code of the illness, at most %(count)s characters.")
            % {"count": MAX_ILLNESS_LENGTH},
        )
    unseen = _UNSEEN_CHARACTER.search(value)
    if unseen is not None:
        raise CaseError(
            "illness",
            _(
                "contains a control or invisible formatting character (%(character)s); "
                "type the name without it."
            )
            % {"character": _escaped(unseen.group())},
        )
    if _VISIBLE_CHARACTER.search(value) is None:
        raise CaseError("illness", _("must be the name or code of the illness: it is blank."))
    return value


def _episode(data, index: int) -> Episode:
    # The field path ("episodes[0].cause") is only built when something is wrong.
    prefix = f"episodes[{index}]."
    if not isinstance(data, dict):
        raise CaseError(f"episodes[{index}]", _("a hospital stay must be a JSON object."))
    _reject_unknown(data, EPISODE_FIELDS, prefix)
    ratio = (
        _ratio(data["liability_ratio"], "liability_ratio", prefix)
        if "liability_ratio" in data
        else ONE
    )
    cause = _choice(data.get("cause", "illness"), CAUSES, "cause", prefix)
    traffic = (
        _number(data["traffic_total_cost"], "traffic_total_cost", prefix)
        if "traffic_total_cost" in data
        else ZERO
    )
    if traffic and cause != "traffic_accident":
        raise CaseError(
            f"{prefix}traffic_total_cost", _("applies only to a stay caused by a traffic accident.")
        )
    return Episode(
        admitted_on=_date(_required(data, "admitted_on", prefix), "admitted_on", prefix),
        cause=cause,
        insurance_scope=_choice(
            data.get("insurance_scope", "jiangsu"), SCOPES, "insurance_scope", prefix
        ),
        settled_self_pay=_optional_money(data, "settled_self_pay", prefix),
        unsettled_cost=_optional_money(data, "unsettled_cost", prefix),
        settlement_pending=_bool(
            data.get("settlement_pending", False), "settlement_pending", prefix
        ),
        traffic_total_cost=to_fen(traffic),
        liability_ratio=ratio,
        exclusions=(
            _codes(data["exclusions"], GENERAL_EXCLUSIONS, "exclusions", prefix)
            if "exclusions" in data
            else ()
        ),
    )
