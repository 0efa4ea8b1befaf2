"""A scheme year's policy (SPEC P1): read from TOML, validated, turned into frozen values.

`read_policy_file` gives the JSON-ready document that is stored as a policy version;
`parse_policy` turns such a document into a `Policy` the calculator uses. Every problem is a
`PolicyError` naming the file, the key and what is wrong.
"""

import bisect
import csv
import datetime
import functools
import hashlib
import io
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from huzhu.money import format_yuan
from huzhu.policy.codes import CERTIFICATE_LEVELS, WORK_INJURY_GRADES

CHANNELS = ("online", "paper", "renewal")


class PolicyError(ValueError):
    pass


def percent(rate: Decimal) -> str:
    """0.545 → '54.5%'."""
    return f"{(rate * 100).normalize():f}%"


@dataclass(frozen=True)
class Window:
    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class Tier:
    lower: Decimal
    amount: Decimal

    @functools.cached_property
    def lower_text(self) -> str:
        return format_yuan(self.lower)

    @functools.cached_property
    def amount_text(self) -> str:
        return format_yuan(self.amount)


@dataclass(frozen=True)
class Illness:
    code: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Hospitalization:
    unsettled_rate: Decimal
    traffic_rate: Decimal
    tiers: tuple[Tier, ...]

    @functools.cached_property
    def unsettled_percent(self) -> str:
        return percent(self.unsettled_rate)

    @functools.cached_property
    def traffic_percent(self) -> str:
        return percent(self.traffic_rate)

    @functools.cached_property
    def _lowers(self) -> list[Decimal]:
        return [tier.lower for tier in self.tiers]

    def tier_for(self, total: Decimal) -> Tier | None:
        """The tier whose lower bound (included) is the highest one not above `total`."""
        index = bisect.bisect_right(self._lowers, total)
        return self.tiers[index - 1] if index else None


@dataclass(frozen=True)
class CriticalIllness:
    amount: Decimal
    illnesses: tuple[Illness, ...]
    min_grade_in_changzhou: int
    min_grade_elsewhere: int

    def find(self, name_or_code: str) -> Illness | None:
        key = name_or_code.strip()
        for illness in self.illnesses:
            if key in (illness.code, illness.name) or key in illness.aliases:
                return illness
        return None


@dataclass(frozen=True)
class WorkInjury:
    min_certificate_level: str
    amounts: dict[int | str, Decimal]


@dataclass(frozen=True)
class Policy:
    year: int
    title: str
    fee: Decimal
    coverage: Window
    windows: dict[str, Window]
    online_after_paper_until: datetime.date | None
    payment_deadline: datetime.date
    max_attempts: int
    hospitalization: Hospitalization | None
    critical_illness: CriticalIllness | None
    work_injury: WorkInjury | None
    general_exclusions: dict[str, str]
    critical_illness_exclusions: dict[str, str]
    # Paper signing only for members not paid in the previous year (2021 notice: 新参保纸质签约).
    paper_new_members_only: bool = False
    # Bank codes of a failed deduction that a later batch retries (SPEC §14); None: every code.
    retry_codes: tuple[str, ...] | None = None
    # The PolicyVersion row this was parsed from (set by the selectors); None for a policy
    # read straight from a file.
    version_id: int | None = None

    @property
    def has_benefits(self) -> bool:
        return self.hospitalization is not None

    def covers(self, day: datetime.date) -> bool:
        return self.coverage.start <= day <= self.coverage.end


# --- reading ---------------------------------------------------------------------------

POLICY_DIR = resources.files("huzhu.policy").joinpath("policies")


def shipped_policy_files() -> list[Path]:
    return sorted(Path(str(POLICY_DIR)).glob("*.toml"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def read_policy_file(path: Path) -> tuple[dict, str]:
    """The policy document of a TOML file, with its illness list inlined, and the sha256
    of what it was made from. Raises PolicyError."""
    name = path.name
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{name}: {exc}") from None
    digest = hashlib.sha256(raw)
    illness_file = data.get("critical_illness", {}).get("illnesses")
    if isinstance(illness_file, str):
        csv_path = path.parent / illness_file
        try:
            csv_bytes = csv_path.read_bytes()
        except OSError:
            raise PolicyError(
                f"{name}: critical_illness.illnesses: file {illness_file} not found"
            ) from None
        digest.update(csv_bytes)
        data["critical_illness"]["illnesses"] = _read_illnesses(csv_bytes, illness_file)
    document = _jsonable(data)
    parse_policy(document, name)  # validate now, so a bad file never reaches the database
    return document, digest.hexdigest()


def _read_illnesses(content: bytes, name: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    if not rows or {"code", "name"} - set(rows[0]):
        raise PolicyError(f"{name}: needs the columns code, name, aliases")
    return [
        {
            "code": r["code"].strip(),
            "name": r["name"].strip(),
            "aliases": [a.strip() for a in (r.get("aliases") or "").split(";") if a.strip()],
        }
        for r in rows
    ]


# --- validating ------------------------------------------------------------------------


class _Reader:
    """Typed access to the document that names the key in every error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str):
        raise PolicyError(f"{self.source}: {key}: {problem}")

    def get(self, data: dict, key: str, path: str, kind: type | tuple[type, ...]):
        if key not in data:
            self.fail(path, "missing")
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            self.fail(path, f"expected {getattr(kind, '__name__', kind)}")
        return value

    def table(self, data: dict, key: str, path: str) -> dict:
        return self.get(data, key, path, dict)

    def date(self, data: dict, key: str, path: str) -> datetime.date:
        value = self.get(data, key, path, str)
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail(path, f"not a date: {value!r}")
            raise

    def amount(self, data: dict, key: str, path: str, positive: bool = True) -> Decimal:
        value = self.get(data, key, path, (str, int))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(path, f"not an amount: {value!r}")
            raise
        if not number.is_finite() or number < 0 or (positive and number == 0):
            self.fail(path, "must be a positive amount")
        if number != number.quantize(Decimal("0.01")):
            self.fail(path, "has more than two decimals")
        return number

    def rate(self, data: dict, key: str, path: str) -> Decimal:
        value = self.get(data, key, path, str)
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.fail(path, f"not a rate: {value!r}")
            raise
        if not Decimal(0) < number <= Decimal(1):
            self.fail(path, "must be above 0 and at most 1")
        return number

    def window(self, data: dict, path: str) -> Window:
        start = self.date(data, "start", f"{path}.start")
        end = self.date(data, "end", f"{path}.end")
        if end < start:
            self.fail(path, "ends before it starts")
        return Window(start, end)


def parse_policy(data: dict, source: str) -> Policy:
    r = _Reader(source)
    known = {
        "year",
        "title",
        "source",
        "fee",
        "coverage",
        "enrollment",
        "payment",
        "hospitalization",
        "critical_illness",
        "work_injury",
        "exclusions",
    }
    for key in data:
        if key not in known:
            r.fail(key, "unknown key")
    year = r.get(data, "year", "year", int)
    coverage = r.window(r.table(data, "coverage", "coverage"), "coverage")
    if coverage.start.year != year:
        r.fail("coverage.start", f"must be in {year}")
    enrollment = r.table(data, "enrollment", "enrollment")
    windows_data = r.table(enrollment, "windows", "enrollment.windows")
    windows = {}
    for channel, window in windows_data.items():
        if channel not in CHANNELS:
            r.fail(f"enrollment.windows.{channel}", f"unknown channel; use {', '.join(CHANNELS)}")
        windows[channel] = r.window(window, f"enrollment.windows.{channel}")
    late = (
        r.date(enrollment, "online_after_paper_until", "enrollment.online_after_paper_until")
        if "online_after_paper_until" in enrollment
        else None
    )
    paper_new_only = enrollment.get("paper_new_members_only", False)
    if not isinstance(paper_new_only, bool):
        r.fail("enrollment.paper_new_members_only", "must be true or false")
    payment = r.table(data, "payment", "payment")
    attempts = r.get(payment, "max_attempts", "payment.max_attempts", int)
    if attempts < 1:
        r.fail("payment.max_attempts", "must be at least 1")
    retry_codes = None
    if "retry_codes" in payment:
        codes = r.get(payment, "retry_codes", "payment.retry_codes", list)
        if not all(isinstance(code, str) and code.isdigit() for code in codes):
            r.fail("payment.retry_codes", 'must be a list of bank codes in quotes, like "1001"')
        retry_codes = tuple(codes)
    exclusions = data.get("exclusions", {})
    general = dict(exclusions.get("general", {}))
    critical = dict(exclusions.get("critical_illness", {}))
    for path, table in (("exclusions.general", general), ("exclusions.critical_illness", critical)):
        for code, label in table.items():
            if not isinstance(label, str) or not label:
                r.fail(f"{path}.{code}", "needs a Chinese label")
    policy = Policy(
        year=year,
        title=str(data.get("title", year)),
        fee=r.amount(data, "fee", "fee"),
        coverage=coverage,
        windows=windows,
        online_after_paper_until=late,
        paper_new_members_only=paper_new_only is True,
        payment_deadline=r.date(payment, "deadline", "payment.deadline"),
        max_attempts=attempts,
        retry_codes=retry_codes,
        hospitalization=_hospitalization(r, data) if "hospitalization" in data else None,
        critical_illness=_critical_illness(r, data) if "critical_illness" in data else None,
        work_injury=_work_injury(r, data) if "work_injury" in data else None,
        general_exclusions=general,
        critical_illness_exclusions=critical,
    )
    parts = [policy.hospitalization, policy.critical_illness, policy.work_injury]
    if any(parts) and not all(parts):
        r.fail(
            "hospitalization",
            "benefit rules come as a set: hospitalization, critical_illness and work_injury",
        )
    if any(parts) and not (general and critical):
        r.fail(
            "exclusions", "benefit rules need exclusions.general and exclusions.critical_illness"
        )
    return policy


def _hospitalization(r: _Reader, data: dict) -> Hospitalization:
    table = r.table(data, "hospitalization", "hospitalization")
    tiers_data = r.get(table, "tiers", "hospitalization.tiers", list)
    if not tiers_data:
        r.fail("hospitalization.tiers", "is empty")
    tiers = []
    for index, tier in enumerate(tiers_data):
        path = f"hospitalization.tiers[{index}]"
        if not isinstance(tier, dict):
            r.fail(path, "expected a table")
        tiers.append(
            Tier(r.amount(tier, "from", f"{path}.from"), r.amount(tier, "amount", f"{path}.amount"))
        )
        if index and (tiers[-1].lower <= tiers[-2].lower or tiers[-1].amount <= tiers[-2].amount):
            r.fail(path, "tiers must rise in both bound and amount")
    return Hospitalization(
        unsettled_rate=r.rate(table, "unsettled_rate", "hospitalization.unsettled_rate"),
        traffic_rate=r.rate(table, "traffic_rate", "hospitalization.traffic_rate"),
        tiers=tuple(tiers),
    )


def _critical_illness(r: _Reader, data: dict) -> CriticalIllness:
    table = r.table(data, "critical_illness", "critical_illness")
    listed = r.get(table, "illnesses", "critical_illness.illnesses", list)
    if not listed:
        r.fail("critical_illness.illnesses", "is empty")
    illnesses = []
    seen: set[str] = set()
    for index, item in enumerate(listed):
        path = f"critical_illness.illnesses[{index}]"
        code = r.get(item, "code", f"{path}.code", str)
        name = r.get(item, "name", f"{path}.name", str)
        aliases = tuple(item.get("aliases", []))
        for key in (code, name, *aliases):
            if key in seen:
                r.fail(path, f"{key} is listed twice")
            seen.add(key)
        illnesses.append(Illness(code, name, aliases))
    grades = {}
    for key in ("min_grade_in_changzhou", "min_grade_elsewhere"):
        grades[key] = r.get(table, key, f"critical_illness.{key}", int)
        if not 1 <= grades[key] <= 3:
            r.fail(f"critical_illness.{key}", "hospital grades are 1 to 3")
    return CriticalIllness(
        amount=r.amount(table, "amount", "critical_illness.amount"),
        illnesses=tuple(illnesses),
        **grades,
    )


def _work_injury(r: _Reader, data: dict) -> WorkInjury:
    table = r.table(data, "work_injury", "work_injury")
    level = r.get(table, "min_certificate_level", "work_injury.min_certificate_level", str)
    if level not in CERTIFICATE_LEVELS:
        r.fail("work_injury.min_certificate_level", f"use one of {', '.join(CERTIFICATE_LEVELS)}")
    amounts: dict[int | str, Decimal] = {}
    for index, row in enumerate(r.get(table, "amounts", "work_injury.amounts", list)):
        path = f"work_injury.amounts[{index}]"
        amount = r.amount(row, "amount", f"{path}.amount")
        for grade in r.get(row, "grades", f"{path}.grades", list):
            if grade not in WORK_INJURY_GRADES or grade in amounts:
                r.fail(f"{path}.grades", f'{grade!r} is not a new grade (1–10 or "death")')
            amounts[grade] = amount
    missing = [g for g in WORK_INJURY_GRADES if g not in amounts]
    if missing:
        r.fail("work_injury.amounts", f"no amount for grades {missing}")
    return WorkInjury(min_certificate_level=level, amounts=amounts)


def diff_documents(old: dict, new: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(key path, old value, new value) for every leaf that differs (SPEC P4)."""
    changes: list[tuple[str, Any, Any]] = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changes.extend(diff_documents(a, b, path))
        elif (
            isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(isinstance(x, dict) for x in a + b)
        ):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                changes.extend(diff_documents(x, y, f"{path}[{index}]"))
        elif a != b:
            changes.append((path, a, b))
    return changes
