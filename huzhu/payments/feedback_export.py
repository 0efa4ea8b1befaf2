"""The deduction feedback as a workbook (SPEC D8): one sheet per organizing unit, the rows
the console list shows, numbers masked (SPEC S2), written as it streams from the database
(huzhu.xlsx: constant memory, every cell text, formula-looking text kept as text)."""

import re

from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.org.models import Unit
from huzhu.payments.feedback import ROW_COLUMNS, feedback_listing, rows_of
from huzhu.policy.selectors import current_policies
from huzhu.xlsx import Sheet, XlsxBook

# Rows fetched per query while streaming.
FETCH = 2000
# Characters Excel refuses in a sheet name.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def headings() -> list[str]:
    return [
        _("No."),
        _("Grassroots union"),
        _("Name"),
        _("ID number"),
        _("Mobile phone"),
        _("Union card"),
        _("Bank code"),
        _("Failure reason"),
        _("Attempts"),
        _("Next step"),
        _("Why"),
    ]


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("_", name).strip("'")[:28] or _("Sheet")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"[:31]
    taken.add(candidate)
    return candidate


def feedback_workbook(
    *, user, year: int, unit: Unit | None = None, kind: str = ""
) -> tuple[bytes, int]:
    """The workbook and how many rows it holds."""
    policy = current_policies().get(year)
    book = XlsxBook()
    columns = headings()
    taken: set[str] = set()
    sheet: Sheet | None = None
    current = None
    number = total = 0
    values = (
        feedback_listing(user=user, year=year, unit=unit, kind=kind)
        .values_list(*ROW_COLUMNS)
        .iterator(chunk_size=FETCH)
    )
    for row in rows_of(values, policy):
        if sheet is None or row.organizing_unit != current:
            current = row.organizing_unit
            sheet = _start(book, columns, taken, year, current)
            number = 0
        number += 1
        total += 1
        f = row.failure
        sheet.row(
            [
                str(number),
                row.grassroots_union or _("not yet assigned to a grassroots union"),
                row.name,
                row.id_masked,
                row.phone_masked,
                row.card_masked,
                f.bank_code,
                f.reason,
                str(f.attempts),
                f.next_label,
                f.why,
            ]
        )
    if sheet is None:
        _start(book, columns, taken, year, unit.name if unit else user.unit.name).line(
            _("No failed deductions.")
        )
    return book.close(), total


def _start(book: XlsxBook, columns: list[str], taken: set[str], year: int, name: str) -> Sheet:
    sheet = book.sheet(_sheet_name(name, taken), len(columns))
    sheet.widths([6, 28, 10, 22, 14, 22, 9, 24, 8, 24, 30])
    sheet.title(
        _("%(year)s collective deduction feedback: %(unit)s") % {"year": year, "unit": name}
    )
    sheet.header(columns)
    return sheet


def export_feedback(
    *, user, year: int, unit: Unit | None = None, kind: str = "", request=None
) -> tuple[bytes, str]:
    """The workbook and its file name, with the export's audit event (SPEC S3)."""
    content, count = feedback_workbook(user=user, year=year, unit=unit, kind=kind)
    scope = unit or user.unit
    record_event(
        action=Action.DEDUCTION_FEEDBACK_EXPORT,
        actor=user,
        target=scope,
        unit_path=scope.path,
        request=request,
        summary=_("Deduction feedback of %(unit)s for %(year)s exported: %(count)s rows")
        % {"unit": scope.name, "year": year, "count": count},
        data={"year": year, "unit": scope.pk, "kind": kind, "rows": count},
    )
    name = _("deduction-feedback-%(unit)s-%(year)s.xlsx") % {"unit": scope.name, "year": year}
    return content, name
