"""Reading one calculator case (SPEC §10): defaults, types and the error that names the field.

Plain functions over plain values; the calculator, the API and the pages all parse here.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

BENEFITS = ("hospitalization", "critical_illness", "work_injury")
CAUSES = ("illness", "maternity", "accident", "traffic_accident", "work_injury")
SCOPES = ("jiangsu", "other_province")
LEVELS = ("county", "city", "province")
GRADES: tuple[int | str, ...] = ("death", *range(1, 11))
ZERO = Decimal(0)
ONE = Decimal(1)

TOP_FIELDS = {
    "hospitalization": {"year", "benefit", "already_paid", "episodes"},
    "critical_illness": {
        "year",
        "benefit",
        "already_paid",
        "illness",
        "diagnosed_on",
        "first_diagnosed_on",
        "hospital",
        "exclusions",
    },
    "work_injury": {
        "year",
        "benefit",
        "already_paid",
        "injured_on",
        "grade",
        "certificate_level",
        "exclusions",
    },
}
EPISODE_FIELDS = {
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
HOSPITAL_FIELDS = {"in_changzhou", "grade"}


class CaseError(ValueError):
    """One bad field: `field` is its path in the case (`episodes[0].liability_ratio`)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


def _amount(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise CaseError(field, _('must be an amount in yuan, e.g. "6200" or "6200.50".'))
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise CaseError(field, _("“%(value)s” is not an amount.") % {"value": value}) from None
    if not number.is_finite():
        raise CaseError(field, _("“%(value)s” is not an amount.") % {"value": value})
    if number < 0:
        raise CaseError(field, _("must not be negative."))
    return number


def _date(value, field: str) -> datetime.date:
    if not isinstance(value, str):
        raise CaseError(field, _("must be a date written YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CaseError(
            field, _("“%(value)s” is not a date written YYYY-MM-DD.") % {"value": value}
        ) from None


def _choice(value, field: str, choices: tuple) -> str:
    if value not in choices:
        raise CaseError(
            field,
            _("unknown value “%(value)s”; use one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(map(str, choices))},
        )
    return value


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise CaseError(field, _("must be true or false."))
    return value


def _codes(value, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(field, _("must be a list of exclusion codes."))
    return tuple(value)


def _reject_unknown(data: dict, allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise CaseError(f"{prefix}{key}", _("unknown field."))


def _required(data: dict, key: str, field: str):
    if key not in data:
        raise CaseError(field, _("is required."))
    return data[key]


def parse_case(data) -> Case:
    """A Case from one JSON object; raises CaseError for the first bad field."""
    if not isinstance(data, dict):
        raise CaseError("", _("a case must be a JSON object."))
    benefit = _choice(_required(data, "benefit", "benefit"), "benefit", BENEFITS)
    _reject_unknown(data, TOP_FIELDS[benefit], "")
    year = _required(data, "year", "year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CaseError("year", _("must be a scheme year such as 2022."))
    already_paid = _amount(data.get("already_paid", "0"), "already_paid")
    if benefit == "hospitalization":
        episodes = data.get("episodes", [])
        if not isinstance(episodes, list):
            raise CaseError("episodes", _("must be a list of hospital stays."))
        return Case(
            year,
            benefit,
            already_paid,
            episodes=tuple(_episode(e, f"episodes[{i}].") for i, e in enumerate(episodes)),
        )
    exclusions = _codes(data.get("exclusions", []), "exclusions")
    if benefit == "critical_illness":
        illness = _required(data, "illness", "illness")
        if not isinstance(illness, str) or not illness.strip():
            raise CaseError("illness", _("must be the name or code of the illness."))
        diagnosed_on = _date(_required(data, "diagnosed_on", "diagnosed_on"), "diagnosed_on")
        first = _date(data.get("first_diagnosed_on", data["diagnosed_on"]), "first_diagnosed_on")
        if first > diagnosed_on:
            raise CaseError("first_diagnosed_on", _("cannot be after diagnosed_on."))
        hospital = _required(data, "hospital", "hospital")
        if not isinstance(hospital, dict):
            raise CaseError("hospital", _("must be an object with in_changzhou and grade."))
        _reject_unknown(hospital, HOSPITAL_FIELDS, "hospital.")
        grade = _required(hospital, "grade", "hospital.grade")
        _choice(grade, "hospital.grade", (1, 2, 3))
        return Case(
            year,
            benefit,
            already_paid,
            illness=illness.strip(),
            diagnosed_on=diagnosed_on,
            first_diagnosed_on=first,
            hospital_in_changzhou=_bool(
                hospital.get("in_changzhou", True), "hospital.in_changzhou"
            ),
            hospital_grade=grade,
            exclusions=exclusions,
        )
    grade = _required(data, "grade", "grade")
    if isinstance(grade, bool):
        raise CaseError("grade", _('must be 1 to 10 or "death".'))
    _choice(grade, "grade", GRADES)
    return Case(
        year,
        benefit,
        already_paid,
        injured_on=_date(_required(data, "injured_on", "injured_on"), "injured_on"),
        grade=grade,
        certificate_level=_choice(
            data.get("certificate_level", "city"), "certificate_level", LEVELS
        ),
        exclusions=exclusions,
    )


def _episode(data, prefix: str) -> Episode:
    if not isinstance(data, dict):
        raise CaseError(prefix.rstrip("."), _("a hospital stay must be a JSON object."))
    _reject_unknown(data, EPISODE_FIELDS, prefix)
    ratio = _amount(data.get("liability_ratio", "1"), f"{prefix}liability_ratio")
    if ratio > ONE:
        raise CaseError(f"{prefix}liability_ratio", _("must be between 0 and 1."))
    cause = _choice(data.get("cause", "illness"), f"{prefix}cause", CAUSES)
    traffic = _amount(data.get("traffic_total_cost", "0"), f"{prefix}traffic_total_cost")
    if traffic and cause != "traffic_accident":
        raise CaseError(
            f"{prefix}traffic_total_cost", _("applies only to a stay caused by a traffic accident.")
        )
    return Episode(
        admitted_on=_date(
            _required(data, "admitted_on", f"{prefix}admitted_on"), f"{prefix}admitted_on"
        ),
        cause=cause,
        insurance_scope=_choice(
            data.get("insurance_scope", "jiangsu"), f"{prefix}insurance_scope", SCOPES
        ),
        settled_self_pay=_amount(data.get("settled_self_pay", "0"), f"{prefix}settled_self_pay"),
        unsettled_cost=_amount(data.get("unsettled_cost", "0"), f"{prefix}unsettled_cost"),
        settlement_pending=_bool(
            data.get("settlement_pending", False), f"{prefix}settlement_pending"
        ),
        traffic_total_cost=traffic,
        liability_ratio=ratio,
        exclusions=_codes(data.get("exclusions", []), f"{prefix}exclusions"),
    )
