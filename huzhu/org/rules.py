"""Rules of organisation and targets (SPEC T1–T5) as plain functions."""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from huzhu.tabular import normalize_width, parse_whole_number, quote


def completion_percentage(completed: int | None, target: int | None) -> Decimal | None:
    """SPEC T4: completed / target × 100, half-up to 2 decimals; None without target."""
    if not target:
        return None
    return (Decimal(completed or 0) * 100 / Decimal(target)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def completion_rate(completed: int | None, target: int | None) -> str:
    """SPEC T4 as printed: '78.36%'; '' without target."""
    rate = completion_percentage(completed, target)
    return "" if rate is None else f"{rate}%"


@dataclass(frozen=True)
class TargetRow:
    line: int  # row number in the file, 1-based, as a spreadsheet shows it
    position: int
    unit_name: str
    previous_target: int | None
    previous_completed: int | None
    target: int | None


@dataclass(frozen=True)
class TargetFile:
    year: int
    rows: list[TargetRow]


class TargetFileError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# Checked in this order: "2022年计划任务数" must not be read as last year's "任务数".
HEADER_PATTERNS = (
    ("position", re.compile(r"^序号$")),
    ("unit", re.compile(r"^(所属单位|单位名称|单位)$")),
    ("target", re.compile(r"^(\d{4})年计划任务数$")),
    ("previous_target", re.compile(r"^(\d{4})年任务数$")),
    ("previous_completed", re.compile(r"^(\d{4})年完成数$")),
    ("rate", re.compile(r"^完成率%?$")),
)
TOTAL_LABELS = {"合计", "总计"}
# 附件1 lists 29 units; a province would list a few hundred.
MAX_TARGET_ROWS = 1_000
MAX_UNIT_NAME = 100  # Unit.name


def _clean_header(cell: str) -> str:
    return normalize_width(cell).replace(" ", "")


def _classify_headers(header: list[str], example_year: int) -> tuple[dict[str, int], int]:
    """Column index per field, and the plan year named by the header."""
    columns: dict[str, int] = {}
    years: dict[str, int] = {}
    unknown: list[str] = []
    errors = []
    for index, raw in enumerate(header):
        name = _clean_header(raw)
        if not name:
            continue
        for key, pattern in HEADER_PATTERNS:
            match = pattern.match(name)
            if match:
                columns[key] = index
                if match.groups() and match.group(1).isdigit():
                    years[key] = int(match.group(1))
                break
        else:
            unknown.append(name)
            errors.append(
                _("Column %(column)s: unknown column “%(name)s”.")
                % {"column": index + 1, "name": quote(raw)}
            )
    if "unit" not in columns:
        errors.append(_("Missing column “%(name)s”.") % {"name": "所属单位"})
    if "target" not in columns:
        year = _plan_year_named(years, unknown)
        if year is not None:
            errors.append(_("Missing column “%(name)s”.") % {"name": f"{year}年计划任务数"})
        else:
            errors.append(
                _(
                    "Missing the column of the plan year's targets: its header is the year "
                    "followed by 年计划任务数, as in “%(example)s”."
                )
                % {"example": f"{example_year}年计划任务数"}
            )
    if errors:
        raise TargetFileError(errors)
    year = years["target"]
    for key in ("previous_target", "previous_completed"):
        if key in years and years[key] != year - 1:
            errors.append(
                _("Column “%(name)s” must be for %(year)s, the year before the plan year.")
                % {"name": quote(header[columns[key]]), "year": year - 1}
            )
    if errors:
        raise TargetFileError(errors)
    return columns, year


def _plan_year_named(years: dict[str, int], unknown: list[str]) -> int | None:
    """The plan year a header without its target column still names: the year after its
    previous-year columns, or a year written in a mistyped column (“2022年计划任务”)."""
    for key in ("previous_target", "previous_completed"):
        if key in years:
            return years[key] + 1
    for name in unknown:
        match = re.match(r"^(\d{4})年计划", name)
        if match:
            return int(match.group(1))
    return None


def parse_target_table(rows: list[list[str]], *, example_year: int = 2022) -> TargetFile:
    """Read 附件1 (SPEC T5) from table rows. Every problem is collected, each naming its row;
    the caller imports nothing unless the list is empty. `example_year` is the year a
    message shows when the header names none (callers pass the current one)."""
    header_index = next(
        (i for i, row in enumerate(rows) if any(_clean_header(c) == "序号" for c in row)), None
    )
    if header_index is None:
        raise TargetFileError([_("No header row with “序号” was found.")])
    columns, year = _classify_headers(rows[header_index], example_year)
    errors: list[str] = []
    parsed: list[TargetRow] = []
    totals: tuple[int | None, ...] | None = None
    seen: dict[str, int] = {}

    def number(row: list[str], key: str, line: int) -> int | None:
        if key not in columns or columns[key] >= len(row):
            return None
        try:
            return parse_whole_number(row[columns[key]])
        except ValueError:
            errors.append(
                _("Row %(row)s, column “%(column)s”: “%(value)s” is not a whole number.")
                % {
                    "row": line,
                    "column": quote(rows[header_index][columns[key]]),
                    "value": quote(row[columns[key]]),
                }
            )
            return None

    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        first = normalize_width(row[columns["position"]] if "position" in columns else "").strip()
        name = row[columns["unit"]].strip() if columns["unit"] < len(row) else ""
        if first.replace(" ", "") in TOTAL_LABELS or name.replace(" ", "") in TOTAL_LABELS:
            totals = (
                number(row, "previous_target", offset),
                number(row, "previous_completed", offset),
                number(row, "target", offset),
            )
            continue
        if not name:
            errors.append(_("Row %(row)s: the unit name is empty.") % {"row": offset})
            continue
        if len(name) > MAX_UNIT_NAME:
            errors.append(
                _("Row %(row)s: the unit name “%(name)s” is longer than %(limit)s characters.")
                % {"row": offset, "name": quote(name), "limit": MAX_UNIT_NAME}
            )
            continue
        if len(parsed) >= MAX_TARGET_ROWS:
            raise TargetFileError(
                [_("A targets file may list at most %(count)s units.") % {"count": MAX_TARGET_ROWS}]
            )
        if name in seen:
            errors.append(
                _("Row %(row)s: unit “%(name)s” already appears in row %(first)s.")
                % {"row": offset, "name": quote(name), "first": seen[name]}
            )
            continue
        seen[name] = offset
        try:
            position = parse_whole_number(first) or len(parsed) + 1
        except ValueError:
            errors.append(
                _("Row %(row)s: the number “%(value)s” is not a whole number.")
                % {"row": offset, "value": quote(first)}
            )
            position = len(parsed) + 1
        parsed.append(
            TargetRow(
                line=offset,
                position=position,
                unit_name=name,
                previous_target=number(row, "previous_target", offset),
                previous_completed=number(row, "previous_completed", offset),
                target=number(row, "target", offset),
            )
        )
    if not errors and totals is not None:
        sums = (
            sum(r.previous_target or 0 for r in parsed),
            sum(r.previous_completed or 0 for r in parsed),
            sum(r.target or 0 for r in parsed),
        )
        for given, computed in zip(totals, sums, strict=True):
            if given is not None and given != computed:
                errors.append(
                    _("The total row (%(given)s) does not match the sum of the rows (%(sum)s).")
                    % {"given": given, "sum": computed}
                )
    if not parsed and not errors:
        errors.append(_("The file holds no unit rows."))
    if errors:
        raise TargetFileError(errors)
    return TargetFile(year=year, rows=parsed)


def shown_errors(errors: list[str], limit: int = 20) -> list[str]:
    """The first errors of a file and how many more there are: a page or a terminal full of
    one mistake repeated helps nobody."""
    if len(errors) <= limit:
        return errors
    return [
        *errors[:limit],
        _("… and %(count)s more errors.") % {"count": len(errors) - limit},
    ]


# A grassroots union's share of its organizing unit's target: no union holds a million
# members (the whole district's target is a few hundred thousand).
MAX_UNION_TARGET = 1_000_000


def parse_union_targets(
    entries: list[tuple[int, str, str]],
) -> tuple[dict[int, int | None], list[str]]:
    """(union id, union name, text typed) → the shares by union id, and one message per
    refused entry naming the union: an empty box clears the share; negative, fractional,
    non-numeric and huge numbers are refused."""
    shares: dict[int, int | None] = {}
    errors = []
    for unit_id, name, text in entries:
        try:
            value = parse_whole_number(text)
        except ValueError:
            value = -1
        if value is None or 0 <= value <= MAX_UNION_TARGET:
            shares[unit_id] = value
        else:
            errors.append(
                _("%(unit)s: the target “%(value)s” is not a whole number from 0 to %(max)s.")
                % {"unit": name, "value": quote(text), "max": MAX_UNION_TARGET}
            )
    return shares, errors


def iso_week_label(monday) -> str:
    """'2022-W07': the ISO week of a Monday (Shanghai dates)."""
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


# The 2022 notice §3: "镇、开发区、街道总工会 … 联系人保公司工作人员上门收取纸质材料";
# "系统（局）、直属单位工会 … 直接上交给区总工会权益保障部". Towns, streets and the zones
# (高新区, 经开区, 绿建区, 西太湖, 太湖湾, 淹管会 in 附件1) go to the agency; bureaus, groups
# and directly affiliated unions (…局, …集团, 工贸资产, 机关工联会, 其他) to the district.
AGENCY_ROUTE_ENDINGS = ("镇", "街道", "区", "园", "管委会", "管会", "西太湖", "太湖湾")


def forms_route_for_name(name: str) -> str:
    """ "agency" or "district": where an organizing unit of this name hands its paper forms
    when nobody set it. A name the rule does not know goes to the district, whose admin
    can change it on the unit's page."""
    base = normalize_width(name).strip()
    for suffix in ("总工会", "工会"):
        base = base.removesuffix(suffix)
    return "agency" if base.endswith(AGENCY_ROUTE_ENDINGS) else "district"
