"""Two policy documents compared in words (SPEC P4), for the console and `huzhu policy diff`.

Every key of a policy document has a label; every value is written as a person reads it
(dates, yuan, percentages, tiers, illnesses); each row says whether the setting was added,
removed or changed. A key this module does not know yet is still shown, under its raw path,
so that nothing is left out of a comparison.
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from huzhu.money import format_yuan_short
from huzhu.policy.document import CHANNELS, percent


@dataclass(frozen=True)
class Fact:
    """One setting of a document: `key` identifies it across versions (a tier by its lower
    bound, an illness by its code), `group` gathers the items of one list."""

    key: str
    section: str
    label: str
    value: str
    group: str = ""
    group_label: str = ""
    item: str = ""


@dataclass(frozen=True)
class Row:
    """One line of a comparison; `items` lists a whole list that only one side has."""

    section: str
    label: str
    old: str | None
    new: str | None
    items: tuple[str, ...] = ()

    @property
    def change(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.old != self.new else "same"


# --- values ----------------------------------------------------------------------------


def _date(value: Any) -> str:
    try:
        return formats.date_format(datetime.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _window(value: Any) -> str:
    if not isinstance(value, dict):
        return _raw(value)
    return _("%(start)s to %(end)s") % {
        "start": _date(value.get("start")),
        "end": _date(value.get("end")),
    }


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _yuan(value: Any) -> str:
    number = _number(value)
    if number is None:
        return _raw(value)
    return _("%(amount)s yuan") % {"amount": format_yuan_short(number)}


def _rate(value: Any) -> str:
    number = _number(value)
    return percent(number) if number is not None else _raw(value)


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


HOSPITAL_GRADE_NAMES = {1: "Grade 1 (一级)", 2: "Grade 2 (二级)", 3: "Grade 3 (三级)"}
LEVEL_NAMES = {"county": "County level", "city": "City level", "province": "Province level"}
CHANNEL_NAMES = {"online": "Online signing", "paper": "Paper signing", "renewal": "Renewal signing"}


def _grade_name(grade: Any) -> str:
    if grade == "death":
        return _("Work injury: death")
    return _("Work injury: disability grade %(grade)s") % {"grade": grade}


# --- the settings of a document ----------------------------------------------------------


def facts(document: dict) -> list[Fact]:
    """The settings of one document in reading order."""
    out: list[Fact] = []
    known: set[str] = set()

    def add(path: str, section: str, label: str, value: str, **extra) -> None:
        out.append(Fact(path, section, label, value, **extra))

    def take(path: str) -> Any:
        """The value at a dotted path, marking it as labelled; None when absent."""
        known.add(path)
        value: Any = document
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    scheme = _("Scheme")
    for path, label, show in (
        ("year", _("Scheme year"), str),
        ("title", _("Title of the scheme year"), str),
        ("source", _("Source document"), str),
        ("fee", _("Fee per person per year"), _yuan),
        ("coverage", _("Coverage period"), _window),
    ):
        value = take(path)
        if value is not None:
            add(path, scheme, label, show(value))

    enrollment = _("Enrollment and payment")
    for channel in CHANNELS:
        value = take(f"enrollment.windows.{channel}")
        if value is not None:
            label = _("%(channel)s window") % {"channel": _(CHANNEL_NAMES[channel])}
            add(f"enrollment.windows.{channel}", enrollment, label, _window(value))
    value = take("enrollment.online_after_paper_until")
    if value is not None:
        add(
            "enrollment.online_after_paper_until",
            enrollment,
            _("Online after paper until"),
            _date(value),
        )
    value = take("enrollment.paper_new_members_only")
    if value is not None:
        add(
            "enrollment.paper_new_members_only",
            enrollment,
            _("Paper signing for new members only"),
            _("Yes") if value else _("No"),
        )
    value = take("payment.deadline")
    if value is not None:
        add("payment.deadline", enrollment, _("Payment deadline"), _date(value))
    value = take("payment.max_attempts")
    if value is not None:
        add(
            "payment.max_attempts",
            enrollment,
            _("Deduction attempts at most"),
            _("%(count)s times") % {"count": value},
        )
    value = take("payment.retry_codes")
    if value is not None:
        add("payment.retry_codes", enrollment, _("Bank codes retried"), "、".join(value))

    hospital = _("Hospitalization subsidy")
    value = take("hospitalization.unsettled_rate")
    if value is not None:
        add(
            "hospitalization.unsettled_rate",
            hospital,
            _("Share counted of costs that could not be settled"),
            _rate(value),
        )
    value = take("hospitalization.traffic_rate")
    if value is not None:
        add(
            "hospitalization.traffic_rate",
            hospital,
            _("Share counted of a traffic accident's cost not settled with insurance"),
            _rate(value),
        )
    for tier in take("hospitalization.tiers") or []:
        lower = _number(tier.get("from")) if isinstance(tier, dict) else None
        if lower is None:
            continue
        lower_text = format_yuan_short(lower)
        amount = _yuan(tier.get("amount"))
        add(
            f"hospitalization.tiers[{lower.normalize()}]",
            hospital,
            _("Yearly out-of-pocket from %(lower)s yuan") % {"lower": lower_text},
            amount,
            group="tiers",
            group_label=_("Subsidy tiers"),
            item=_("from %(lower)s yuan: %(amount)s") % {"lower": lower_text, "amount": amount},
        )

    illness = _("Critical-illness subsidy")
    value = take("critical_illness.amount")
    if value is not None:
        add("critical_illness.amount", illness, _("Amount, once"), _yuan(value))
    for key, label in (
        ("min_grade_in_changzhou", _("Lowest grade of the diagnosing hospital in Changzhou")),
        ("min_grade_elsewhere", _("Lowest grade of the diagnosing hospital elsewhere")),
    ):
        value = take(f"critical_illness.{key}")
        if value is not None:
            name = HOSPITAL_GRADE_NAMES.get(value)
            add(f"critical_illness.{key}", illness, label, _(name) if name else _raw(value))
    for listed in take("critical_illness.illnesses") or []:
        if not isinstance(listed, dict):
            continue
        name = str(listed.get("name", ""))
        aliases = listed.get("aliases") or []
        shown = (
            _("%(name)s (also: %(aliases)s)") % {"name": name, "aliases": "、".join(aliases)}
            if aliases
            else name
        )
        add(
            f"critical_illness.illnesses[{listed.get('code')}]",
            illness,
            _("Listed critical illness"),
            shown,
            group="illnesses",
            group_label=_("Listed critical illnesses"),
            item=name,
        )

    injury = _("Work-injury subsidy")
    value = take("work_injury.min_certificate_level")
    if value is not None:
        name = LEVEL_NAMES.get(value)
        add(
            "work_injury.min_certificate_level",
            injury,
            _("Lowest level of the appraisal committee"),
            _(name) if name else _raw(value),
        )
    for row in take("work_injury.amounts") or []:
        if not isinstance(row, dict):
            continue
        amount = _yuan(row.get("amount"))
        for grade in row.get("grades") or []:
            add(
                f"work_injury.amounts[{grade}]",
                injury,
                _grade_name(grade),
                amount,
                group="injury",
                group_label=_("Amounts by disability grade"),
                item=_("%(label)s: %(value)s") % {"label": _grade_name(grade), "value": amount},
            )

    for table, section, label in (
        ("general", _("Exclusions"), _("Exclusion for hospitalization and work injury")),
        ("critical_illness", _("Exclusions"), _("Exclusion for critical illness")),
    ):
        for code, text in (take(f"exclusions.{table}") or {}).items():
            add(
                f"exclusions.{table}.{code}",
                section,
                label,
                str(text),
                group=f"exclusions.{table}",
                group_label=label,
                item=str(text),
            )

    # Whatever the code above does not know yet, under its raw path.
    other = _("Other settings")
    for path, value in _leaves(document):
        if not any(path == k or path.startswith(k + ".") for k in known):
            add(path, other, path, _raw(value))
    return out


def _leaves(data: dict, prefix: str = ""):
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


# --- two documents ------------------------------------------------------------------------


def compare(old_document: dict, new_document: dict, *, include_same: bool = False) -> list[Row]:
    """The rows of a comparison in reading order. A list (tiers, illnesses, grades,
    exclusions) that only one side has is one row listing its items."""
    old_facts, new_facts = facts(old_document), facts(new_document)
    old = {f.key: f for f in old_facts}
    new = {f.key: f for f in new_facts}
    order = [f.key for f in new_facts]
    previous: str | None = None
    for fact in old_facts:  # a removed setting goes where it stood in the old document
        if fact.key not in new:
            order.insert(order.index(previous) + 1 if previous in order else 0, fact.key)
        previous = fact.key

    old_groups = {f.group for f in old_facts if f.group}
    new_groups = {f.group for f in new_facts if f.group}
    rows: list[Row] = []
    done: set[str] = set()
    for key in order:
        fact = new.get(key) or old[key]
        one_sided = fact.group and (fact.group in old_groups) != (fact.group in new_groups)
        if one_sided:
            if fact.group in done:
                continue
            done.add(fact.group)
            side = new_facts if fact.group in new_groups else old_facts
            items = [f.item for f in side if f.group == fact.group]
            listed = _("%(count)s: %(items)s") % {"count": len(items), "items": "；".join(items)}
            in_new = fact.group in new_groups
            rows.append(
                Row(
                    fact.section,
                    fact.group_label,
                    None if in_new else listed,
                    listed if in_new else None,
                    items=tuple(items),
                )
            )
            continue
        a, b = old.get(key), new.get(key)
        row = Row(fact.section, fact.label, a.value if a else None, b.value if b else None)
        if include_same or row.change != "same":
            rows.append(row)
    return rows
