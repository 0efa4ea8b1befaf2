"""A union's roster of a scheme year in the notice's layout (附件4, SPEC X8).

The title row, the "申请单位工会：（盖章）" row, the header, one row per enrollment of the
year in the unit's subtree (its units and employer as they were when the member signed), and
the closing 注 line with the year's fee from the policy. The labels are the notice's own,
in Chinese whatever the language: the roster import finds its header by these names.

Numbers are masked (S2) unless the workbook is encrypted with a password: only an
encrypted file carries full ID, phone and union card numbers. The workbook streams through
`huzhu.xlsx` (xlsxwriter's constant_memory), so a 100,000-row district roster is written in
the request without holding its rows; a background job would have had to keep the password
until it ran, which a password that is never stored rules out.
"""

import io
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.dates import scheme_today
from huzhu.members import crypto
from huzhu.money import format_yuan_short
from huzhu.org.models import Unit
from huzhu.policy.selectors import current_policies
from huzhu.rosters.selectors import roster_enrollments
from huzhu.xlsx import XlsxBook

HEADER = (
    "序号",
    "乡镇",
    "姓名",
    "身份证号码",
    "手机号码",
    "工作单位",
    "工会卡卡号",
    "是否参加常州基本医保",
    "备注",
)
WIDTHS = (6, 12, 10, 22, 15, 30, 22, 20, 12)
# Who exports with full numbers chooses a password at least this long.
MIN_PASSWORD = 8
# Characters no file name may hold on Windows, where these files are opened.
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# Rows fetched per query while streaming.
FETCH = 2000


class ExportError(Exception):
    """Nothing to export, or a password that will not do; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RosterExport:
    filename: str
    content: bytes
    count: int
    encrypted: bool


def title(year: int) -> str:
    return f"{year}年武进区在职职工医疗互助保障参保职工汇总表"


def stamp_line(unit: Unit) -> str:
    return f"申请单位工会：{unit.name}（盖章）" + " " * 40 + "年    月    日"


def fee_note(year: int) -> str:
    """The closing line, from the year's policy: "注：个人缴费金额30元/人/年"."""
    policy = current_policies().get(year)
    if policy is None:
        raise ExportError(
            _("There is no policy for %(year)s: the roster needs its fee.") % {"year": year}
        )
    return f"注：个人缴费金额{format_yuan_short(policy.fee)}元/人/年"


def export_filename(unit: Unit, day: date) -> str:
    """ "单位+月+日", as the notice asks: 湖塘镇甲公司工会1124.xlsx."""
    name = UNSAFE_IN_NAMES.sub("_", unit.name).strip() or "roster"
    return f"{name}{day:%m%d}.xlsx"


def check_password(password: str | None) -> str | None:
    """None (a masked export) or a password long enough to protect full numbers."""
    if password is None or password == "":
        return None
    if len(password) < MIN_PASSWORD:
        raise ExportError(
            _("The password must be at least %(count)s characters long.") % {"count": MIN_PASSWORD}
        )
    return password


def clear_number(token: str) -> str:
    """A stored number in clear ("" when none is stored)."""
    return crypto.decrypt(token) if token else ""


def roster_workbook(*, unit: Unit, year: int, full: bool) -> tuple[bytes, int]:
    """The workbook and its number of rows; `full` writes clear numbers (for encryption)."""
    note = fee_note(year)
    numbers = (
        ("member__id_number_encrypted", "member__phone_encrypted", "member__union_card_encrypted")
        if full
        else ("member__id_number_masked", "member__phone_masked", "member__union_card_masked")
    )
    rows = roster_enrollments(unit=unit, year=year).values_list(
        "organizing_unit__name",
        "member__name",
        *numbers,
        "employer_name",
        "member__employer_name",
        "member__has_basic_insurance",
    )
    book = XlsxBook()
    sheet = book.sheet(str(year), len(HEADER))
    sheet.widths(WIDTHS).title(title(year)).line(stamp_line(unit)).header(HEADER)
    count = 0
    for town, name, id_number, phone, card, employer, member_employer, insured in rows.iterator(
        chunk_size=FETCH
    ):
        count += 1
        if full:
            id_number, phone, card = (
                clear_number(id_number),
                clear_number(phone),
                clear_number(card),
            )
        sheet.row(
            [
                str(count),
                town,
                name,
                id_number,
                phone,
                employer or member_employer,
                card,
                "是" if insured else "否",
                "",
            ]
        )
    sheet.line(note)
    return book.close(), count


def encrypt_workbook(content: bytes, password: str) -> bytes:
    """The workbook encrypted as Excel, WPS and LibreOffice open it (Agile AES-256)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(content)).encrypt(password, out)
    return out.getvalue()


def export_roster(
    *, actor, unit: Unit, year: int, password: str | None, request=None
) -> RosterExport:
    """The unit's roster of `year`; audited with who, which unit and year, how many rows,
    and whether the file is encrypted (S3). The password is used, never kept or logged."""
    password = check_password(password)
    content, count = roster_workbook(unit=unit, year=year, full=password is not None)
    if count == 0:
        raise ExportError(
            _("%(unit)s has no enrollments in %(year)s.") % {"unit": unit.name, "year": year}
        )
    if password is not None:
        content = encrypt_workbook(content, password)
    record_event(
        action=Action.ROSTER_EXPORT,
        actor=actor,
        request=request,
        unit_path=unit.path,
        summary=f"{year} {unit.name} {count}",
        data={
            "unit": unit.name,
            "unit_id": unit.pk,
            "year": year,
            "count": count,
            "encrypted": password is not None,
        },
    )
    return RosterExport(
        filename=export_filename(unit, scheme_today()),
        content=content,
        count=count,
        encrypted=password is not None,
    )
