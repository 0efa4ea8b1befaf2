"""Judging a roster's rows (SPEC X4, X5, X7, M1–M6, E3, E4): every problem of a row is
found, each as a Chinese reason naming its column.

`check_rows` needs nothing but the file and the organizing units; what depends on the
database (a card held by another member, last year's enrollment, the window) is judged
by the plain functions below from facts the importer looks up a chunk at a time.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from huzhu.enrollment import rules as enrollment_rules
from huzhu.enrollment.models import State
from huzhu.enrollment.rules import EnrollmentError
from huzhu.members import crypto
from huzhu.members.rules import (
    InvalidValue,
    clean_id_number,
    clean_name,
    clean_phone,
    clean_union_card,
)
from huzhu.org.models import Unit
from huzhu.policy.document import Policy
from huzhu.rosters.reader import (
    CARD,
    EMPLOYER,
    ID_NUMBER,
    INSURANCE,
    NAME,
    PHONE,
    TOWN,
    RosterTable,
)
from huzhu.tabular import NumberText, normalize_width, quote

EMPLOYER_CHARS = 100
YES = {"是", "Y", "YES", "√", "有"}
NO = {"否", "N", "NO", "×", "无"}


def reason(column: str, message: str) -> str:
    return _("%(column)s: %(message)s") % {"column": column, "message": message}


@dataclass(slots=True)
class CheckedRow:
    """One data row with its clean values, or the reasons it is refused."""

    row: int
    cells: list[str]
    errors: list[str] = field(default_factory=list)
    name: str = ""
    id_number: str = ""
    phone: str = ""
    card: str = ""
    employer: str = ""
    town: Unit | None = None
    id_hash: str = ""
    phone_hash: str = ""
    card_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def _number_error(column: str) -> str:
    """An ID, phone or card cell the workbook keeps as a number is refused: its digits
    cannot be trusted."""
    return reason(
        column,
        _(
            "the cell is stored as a number, which loses digits: format the column as text "
            "and type the number again."
        ),
    )


def check_rows(
    table: RosterTable, *, towns: dict[str, Unit], unit_town: Unit | None, today: datetime.date
) -> list[CheckedRow]:
    """Every data row checked on its own (M2–M6, X7) and against the rows above it (X5, M4).
    `towns`: the organizing units by name; `unit_town`: the organizing unit of the union
    handing the roster in, which every row's 乡镇 must name."""
    checked: list[CheckedRow] = []
    first_of_id: dict[str, int] = {}
    first_of_card: dict[str, tuple[str, int]] = {}
    hash_id, hash_card, hash_phone = (
        crypto.lookup_hasher(kind) for kind in ("id", "card", "phone")
    )
    numbers = (
        (ID_NUMBER, table.columns[ID_NUMBER], "id_number"),
        (PHONE, table.columns[PHONE], "phone"),
        (CARD, table.columns[CARD], "card"),
    )
    cleaners = {
        "id_number": lambda text: clean_id_number(text, today=today),
        "phone": clean_phone,
        "card": clean_union_card,
    }
    for source in table.rows:
        cells = source.cells
        row = CheckedRow(row=source.row, cells=cells)
        errors = row.errors
        try:
            row.name = clean_name(table.value(source, NAME))
        except InvalidValue as exc:
            errors.append(reason(NAME, exc.message))
        for column, index, attribute in numbers:
            text = cells[index]
            if isinstance(text, NumberText):
                errors.append(_number_error(column))
                continue
            try:
                setattr(row, attribute, cleaners[attribute](text))
            except InvalidValue as exc:
                errors.append(reason(column, exc.message))
        row.employer = " ".join(table.value(source, EMPLOYER).split())
        if len(row.employer) > EMPLOYER_CHARS:
            errors.append(
                reason(
                    EMPLOYER,
                    _("An employer name has at most 100 characters."),
                )
            )
        insurance = normalize_width(table.value(source, INSURANCE)).replace(" ", "").upper()
        if insurance in NO:
            # SPEC M6: without basic medical insurance a worker cannot join.
            errors.append(
                reason(
                    INSURANCE,
                    _(
                        "The member has no basic medical insurance and cannot join the scheme "
                        "(职工医保 or 城乡居民医保 is required)."
                    ),
                )
            )
        elif insurance not in YES:
            errors.append(reason(INSURANCE, _("write “是” or “否”.")))
        town_name = "".join(normalize_width(table.value(source, TOWN)).split())
        if not town_name:
            errors.append(reason(TOWN, _("enter the organizing unit (town) of the member.")))
        else:
            row.town = towns.get(town_name)
            if row.town is None:
                # SPEC X7
                errors.append(
                    reason(
                        TOWN,
                        _("“%(town)s” is not a known organizing unit.")
                        % {"town": quote(town_name)},
                    )
                )
            elif unit_town is not None and row.town.pk != unit_town.pk:
                errors.append(
                    reason(
                        TOWN,
                        _(
                            "the roster is handed in by a union of %(unit)s; this row names "
                            "%(town)s."
                        )
                        % {"unit": unit_town.name, "town": row.town.name},
                    )
                )
        if row.id_number:
            row.id_hash = hash_id(row.id_number)
            first = first_of_id.get(row.id_number)
            if first is not None:
                # SPEC X5: the first row counts.
                errors.append(
                    reason(
                        ID_NUMBER,
                        _("the same as row %(row)s; only that row counts.") % {"row": first},
                    )
                )
            else:
                first_of_id[row.id_number] = row.row
        if row.card:
            row.card_hash = hash_card(row.card)
            holder = first_of_card.get(row.card)
            if holder is not None and holder[0] != row.id_number:
                # SPEC M4: one union card belongs to one member.
                errors.append(
                    reason(
                        CARD,
                        _("row %(row)s has the same union card with another ID number.")
                        % {"row": holder[1]},
                    )
                )
            elif holder is None and row.id_number:
                first_of_card[row.card] = (row.id_number, row.row)
        if row.phone:
            row.phone_hash = hash_phone(row.phone)
        checked.append(row)
    return checked


# --- what the database says ------------------------------------------------------------


def card_of_other_error() -> str:
    """SPEC M4: the card is registered to another member (who is not named: S2)."""
    return reason(CARD, _("This union card belongs to another member."))


def window_error(
    *, policy: Policy | None, year: int, channel: str, day: datetime.date
) -> str | None:
    """SPEC E3: the window of the roster's channel on the day the forms were signed."""
    try:
        enrollment_rules.check_window(
            policy=policy, year=year, channel=channel, day=day, prior_channel=None
        )
    except EnrollmentError as exc:
        return exc.message
    return None


def renewal_error(
    *,
    previous: tuple[str, int | None, int | None] | None,
    current_units: tuple[int | None, int | None],
) -> str | None:
    """SPEC E4 for one row of a renewal roster. `previous`: last year's enrollment (state,
    organizing unit, grassroots union) or None; `current_units`: where the roster puts the
    member now."""
    try:
        enrollment_rules.check_renewal(
            previous_state=previous[0] if previous else None,
            previous_units=(previous[1], previous[2]) if previous else None,
            current_units=current_units,
        )
    except EnrollmentError as exc:
        return exc.message
    return None


def paper_error(*, policy: Policy | None, channel: str, paid_last_year: bool) -> str | None:
    """The 2021 notice: where the policy says so, paper signing is for new members only."""
    try:
        enrollment_rules.check_paper_for_new_member(
            policy=policy, channel=channel, paid_last_year=paid_last_year
        )
    except EnrollmentError as exc:
        return exc.message
    return None


def lapsed_error(state: str) -> str | None:
    if state == State.LAPSED:
        return _("This year's enrollment has lapsed: signing is closed.")
    return None
