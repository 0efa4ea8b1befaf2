"""Reading one calculator case (SPEC §10): defaults, types and the error that names the field.

Plain functions over plain values; the calculator, the API and the pages all parse here.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from huzhu.money import to_fen

BENEFITS = ("hospitalization", "critical_illness", "work_injury")
CAUSES = ("illness", "maternity", "accident", "traffic_accident", "work_injury")
SCOPES = ("jiangsu", "other_province")
LEVELS = ("county", "city", "province")
GRADES: tuple[int | str, ...] = ("death", *range(1, 11))
ZERO = Decimal(0)
ONE = Decimal(1)

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
    """One bad field: `field` is its path in the case (`episodes[0].liability_ratio`)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


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


def _amount(value, key: str, prefix: str = "") -> Decimal:
    if isinstance(value, str):
        try:
            number = Decimal(value)  # surrounding spaces are accepted by Decimal itself
        except InvalidOperation:
            raise CaseError(
                prefix + key, _("“%(value)s” is not an amount.") % {"value": value}
            ) from None
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raise CaseError(prefix + key, _('must be an amount in yuan, e.g. "6200" or "6200.50".'))
    if not number.is_finite():
        raise CaseError(prefix + key, _("“%(value)s” is not an amount.") % {"value": value})
    if number < 0:
        raise CaseError(prefix + key, _("must not be negative."))
    return number


def _optional_amount(data: dict, key: str, prefix: str = "", default: Decimal = ZERO) -> Decimal:
    return _amount(data[key], key, prefix) if key in data else default


def _optional_money(data: dict, key: str, prefix: str = "") -> Decimal:
    """An amount of money, rounded half-up to the fen as it comes in (SPEC D1)."""
    return to_fen(_amount(data[key], key, prefix)) if key in data else ZERO


def _date(value, key: str, prefix: str = "") -> datetime.date:
    if not isinstance(value, str):
        raise CaseError(prefix + key, _("must be a date written YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CaseError(
            prefix + key, _("“%(value)s” is not a date written YYYY-MM-DD.") % {"value": value}
        ) from None


def _choice(value, choices: tuple, key: str, prefix: str = "") -> str:
    if value not in choices:
        raise CaseError(
            prefix + key,
            _("unknown value “%(value)s”; use one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(map(str, choices))},
        )
    return value


def _bool(value, key: str, prefix: str = "") -> bool:
    if not isinstance(value, bool):
        raise CaseError(prefix + key, _("must be true or false."))
    return value


def _codes(value, key: str, prefix: str = "") -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(prefix + key, _("must be a list of exclusion codes."))
    return tuple(value)


def _reject_unknown(data: dict, allowed: frozenset[str], prefix: str) -> None:
    if not allowed.issuperset(data):
        raise CaseError(f"{prefix}{min(data.keys() - allowed)}", _("unknown field."))


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
    year = _required(data, "year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CaseError("year", _("must be a scheme year such as 2022."))
    already_paid = _optional_money(data, "already_paid")
    if benefit == "hospitalization":
        episodes = data.get("episodes", [])
        if not isinstance(episodes, list):
            raise CaseError("episodes", _("must be a list of hospital stays."))
        return Case(
            year,
            benefit,
            already_paid,
            episodes=tuple(_episode(e, i) for i, e in enumerate(episodes)),
        )
    exclusions = _codes(data["exclusions"], "exclusions") if "exclusions" in data else ()
    if benefit == "critical_illness":
        illness = _required(data, "illness")
        if not isinstance(illness, str) or not illness.strip():
            raise CaseError("illness", _("must be the name or code of the illness."))
        diagnosed_on = _date(_required(data, "diagnosed_on"), "diagnosed_on")
        first = _date(data.get("first_diagnosed_on", data["diagnosed_on"]), "first_diagnosed_on")
        if first > diagnosed_on:
            raise CaseError("first_diagnosed_on", _("cannot be after diagnosed_on."))
        hospital = _required(data, "hospital")
        if not isinstance(hospital, dict):
            raise CaseError("hospital", _("must be an object with in_changzhou and grade."))
        _reject_unknown(hospital, HOSPITAL_FIELDS, "hospital.")
        grade = _choice(_required(hospital, "grade", "hospital."), (1, 2, 3), "grade", "hospital.")
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
    grade = _required(data, "grade")
    if isinstance(grade, bool):
        raise CaseError("grade", _('must be 1 to 10 or "death".'))
    return Case(
        year,
        benefit,
        already_paid,
        injured_on=_date(_required(data, "injured_on"), "injured_on"),
        grade=_choice(grade, GRADES, "grade"),
        certificate_level=_choice(
            data.get("certificate_level", "city"), LEVELS, "certificate_level"
        ),
        exclusions=exclusions,
    )


def _episode(data, index: int) -> Episode:
    # The field path ("episodes[0].cause") is only built when something is wrong.
    prefix = f"episodes[{index}]."
    if not isinstance(data, dict):
        raise CaseError(f"episodes[{index}]", _("a hospital stay must be a JSON object."))
    _reject_unknown(data, EPISODE_FIELDS, prefix)
    ratio = _optional_amount(data, "liability_ratio", prefix, ONE)
    if ratio > ONE:
        raise CaseError(f"{prefix}liability_ratio", _("must be between 0 and 1."))
    cause = _choice(data.get("cause", "illness"), CAUSES, "cause", prefix)
    traffic = _optional_money(data, "traffic_total_cost", prefix)
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
        traffic_total_cost=traffic,
        liability_ratio=ratio,
        exclusions=(
            _codes(data["exclusions"], "exclusions", prefix) if "exclusions" in data else ()
        ),
    )
