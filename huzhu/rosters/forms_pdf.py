"""The authorization form (付款授权书, the 2021 notice's 附件1 and the 2022 notice's 附件3) as
a printable A4 PDF, one page per member, pre-filled and ready for signature and stamp
(SPEC X9).

The member's fields come from the database; the payee (乙方), the paying bank (丙方), the
title and the clauses from `data/authorization-form.toml`, so a new account number or a
reworded clause is a data change.

Font: the first TrueType CJK font found on the system (WenQuanYi Zen Hei or Micro Hei, AR PL
UMing) is embedded as a subset, so every viewer shows the text. Without one, the PDF
standard's built-in STSong-Light (in reportlab, no download) is used: it is not embedded, and
the viewer supplies a Song face — fine for Adobe Reader, WPS and browsers, which carry one.
Noto CJK ships as OpenType with CFF outlines, which reportlab cannot embed; it is skipped.
"""

import functools
import io
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.members.models import Member
from huzhu.org.models import Unit
from huzhu.rosters.export import UNSAFE_IN_NAMES, ExportError, clear_number
from huzhu.rosters.selectors import roster_enrollments

FORM_TEXT = Path(__file__).parent / "data" / "authorization-form.toml"
# TrueType CJK fonts Debian installs (fonts-wqy-zenhei, fonts-wqy-microhei, fonts-arphic-uming).
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
BUILT_IN_FONT = "STSong-Light"
EMBEDDED_FONT = "HuzhuCJK"

WIDTH, HEIGHT = A4
MARGIN_X = 45
MARGIN_TOP = 42
CONTENT = WIDTH - 2 * MARGIN_X
ROW = 22
# label, value, label, value: the columns of the notice's tables
COLUMNS = (112, 178, 72, CONTENT - 112 - 178 - 72)
CLAUSE_SIZE = 9.5
CLAUSE_LEADING = 13.5


@dataclass(frozen=True)
class Party:
    name: str
    phone: str
    address: str
    account: str = ""


@dataclass(frozen=True)
class FormText:
    title: str
    id_type: str
    payee: Party
    bank: Party
    preamble: str
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class FormEntry:
    """What one page is filled in with."""

    name: str
    id_number: str
    union_card: str
    phone: str
    employer: str  # 职工所属单位（全称）
    union: str  # 鉴证单位（丁方）: the grassroots union


def load_form_text(path: Path = FORM_TEXT) -> FormText:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return FormText(
        title=data["title"],
        id_type=data["id_type"],
        payee=Party(**data["payee"]),
        bank=Party(**data["bank"]),
        preamble=data["text"]["preamble"],
        clauses=tuple(data["text"]["clauses"]),
    )


@functools.cache
def _shipped_text() -> FormText:
    return load_form_text()


@functools.cache
def font_name(files: tuple[str, ...] = FONT_FILES) -> str:
    """The font every form is set in: an embedded system TrueType CJK font when there is
    one, else the built-in STSong-Light."""
    for file in files:
        if not Path(file).exists():
            continue
        try:
            name = f"{EMBEDDED_FONT}-{Path(file).stem}"
            pdfmetrics.registerFont(TTFont(name, file, subfontIndex=0))
            return name
        except Exception:  # noqa: S112 - an unusable font file: try the next one
            continue
    pdfmetrics.registerFont(UnicodeCIDFont(BUILT_IN_FONT))
    return BUILT_IN_FONT


def _wrap(text: str, font: str, size: float, width: float, indent: float = 0) -> list[str]:
    """Chinese text broken into lines no wider than `width` (any character may end a line;
    closing punctuation stays on the line it closes)."""
    lines: list[str] = []
    line = ""
    available = width - indent
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > available:
            if char in "，。、；：）》」”":
                line += char
                continue
            lines.append(line)
            line, available = "", width
        line += char
    if line:
        lines.append(line)
    return lines


def _fit(canvas: Canvas, font: str, text: str, x: float, y: float, width: float, size=10.0):
    """`text` at `size`, smaller when it would not fit `width` (a long employer name)."""
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def _grid(canvas: Canvas, font: str, top: float, rows: list[list[tuple[str, str]]]) -> float:
    """The notice's bordered tables: a row holds two label–value pairs, or one whose value
    spans the rest of the row. Returns the y below the table."""
    canvas.setLineWidth(0.6)
    y = top
    for pairs in rows:
        bottom = y - ROW
        canvas.rect(MARGIN_X, bottom, CONTENT, ROW)
        x = MARGIN_X
        spans = [COLUMNS[:2], COLUMNS[2:]] if len(pairs) == 2 else [(COLUMNS[0], sum(COLUMNS[1:]))]
        for (label, value), (label_width, value_width) in zip(pairs, spans, strict=True):
            canvas.line(x + label_width, bottom, x + label_width, y)
            _fit(canvas, font, label, x + 4, bottom + 6, label_width - 8)
            _fit(canvas, font, value, x + label_width + 5, bottom + 6, value_width - 10)
            x += label_width + value_width
            if x < MARGIN_X + CONTENT - 1:
                canvas.line(x, bottom, x, y)
        y = bottom
    return y


def _heading(canvas: Canvas, font: str, y: float, text: str) -> float:
    canvas.setFont(font, 11)
    canvas.drawString(MARGIN_X, y - 13, text)
    return y - 18


def _page(
    canvas: Canvas, font: str, text: FormText, entry: FormEntry, year: int, clauses: list
) -> None:
    y = HEIGHT - MARGIN_TOP
    canvas.setFont(font, 16)
    canvas.drawCentredString(WIDTH / 2, y - 16, text.title)
    canvas.setFont(font, 9)
    canvas.drawRightString(MARGIN_X + CONTENT, y - 32, f"参保年度：{year}年")
    y -= 36
    y = _heading(canvas, font, y, "一、委托人基本信息")
    y = _grid(
        canvas,
        font,
        y,
        [
            [("客户姓名（甲方）", entry.name), ("证件类型", text.id_type)],
            [("工会服务卡账号", entry.union_card), ("证件号码", entry.id_number)],
            [("联系电话", entry.phone), ("联系地址", "")],
            [("职工所属单位（全称）", entry.employer)],
        ],
    )
    y = _heading(canvas, font, y - 4, "二、收款人基本信息")
    payee = text.payee
    y = _grid(
        canvas,
        font,
        y,
        [
            [("收款单位（乙方）", payee.name), ("收款账号", payee.account)],
            [("联系电话", payee.phone), ("联系地址", payee.address)],
        ],
    )
    y = _heading(canvas, font, y - 4, "三、付款代理单位基本信息")
    bank = text.bank
    y = _grid(
        canvas,
        font,
        y,
        [[("代理单位（丙方）", bank.name)], [("联系电话", bank.phone), ("联系地址", bank.address)]],
    )
    y = _heading(canvas, font, y - 4, "四、鉴证单位基本信息")
    y = _grid(
        canvas,
        font,
        y,
        [[("鉴证单位（丁方）", entry.union)], [("鉴证单位工会负责人姓名", ""), ("联系电话", "")]],
    )
    y -= 8
    canvas.setFont(font, CLAUSE_SIZE)
    for indent, line in clauses:
        y -= CLAUSE_LEADING
        canvas.drawString(MARGIN_X + indent, y, line)
    # Signatures and stamps: room to sign under each party.
    right = MARGIN_X + CONTENT / 2 + 20
    canvas.setFont(font, 10)
    y -= 30
    canvas.drawString(MARGIN_X, y, "甲方（签名）：")
    canvas.drawString(right, y, "乙方（签章）：")
    y -= 40
    canvas.drawString(MARGIN_X, y, "授权委托日期：      年    月    日")
    canvas.drawString(right, y, "签约日期：      年    月    日")
    y -= 34
    canvas.drawString(MARGIN_X, y, "丙方（签章）：")
    canvas.drawString(right, y, "丁方（签章）：")
    y -= 40
    canvas.drawString(MARGIN_X, y, "签约日期：      年    月    日")
    canvas.drawString(right, y, "签约日期：      年    月    日")


def _clause_lines(text: FormText, font: str) -> list[tuple[float, str]]:
    """The preamble and clauses broken into lines once for all pages: (indent, line)."""
    indent = 2 * CLAUSE_SIZE  # two characters, as Chinese paragraphs start
    lines: list[tuple[float, str]] = []
    for paragraph in (text.preamble, *text.clauses):
        for number, line in enumerate(_wrap(paragraph, font, CLAUSE_SIZE, CONTENT, indent)):
            lines.append((indent if number == 0 else 0, line))
    return lines


def render_forms(
    entries: Iterable[FormEntry], *, year: int, text: FormText | None = None
) -> tuple[bytes, int]:
    """The PDF, one A4 page per entry, and its number of pages."""
    text = text or _shipped_text()
    font = font_name()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(text.title)
    clauses = _clause_lines(text, font)
    pages = 0
    for entry in entries:
        _page(canvas, font, text, entry, year, clauses)
        canvas.showPage()
        pages += 1
    canvas.save()
    return out.getvalue(), pages


# --- Who the forms are for, and the audit of printing them ---


def unit_entries(*, unit: Unit, year: int) -> list[FormEntry]:
    """One entry per enrollment of `year` in the unit's subtree, as the roster lists them
    (its units and employer as of the signing)."""
    rows = roster_enrollments(unit=unit, year=year).values_list(
        "member__name",
        "member__id_number_encrypted",
        "member__union_card_encrypted",
        "member__phone_encrypted",
        "employer_name",
        "member__employer_name",
        "grassroots_union__name",
        "organizing_unit__name",
    )
    return [
        FormEntry(
            name=name,
            id_number=clear_number(id_number),
            union_card=clear_number(card),
            phone=clear_number(phone),
            employer=employer or member_employer or (union or ""),
            union=union or town,
        )
        for name, id_number, card, phone, employer, member_employer, union, town in rows.iterator(
            chunk_size=2000
        )
    ]


def member_entry(member: Member) -> FormEntry:
    union = member.unit.name if member.unit_id else ""
    return FormEntry(
        name=member.name,
        id_number=clear_number(member.id_number_encrypted),
        union_card=clear_number(member.union_card_encrypted),
        phone=clear_number(member.phone_encrypted),
        employer=member.employer_name or union,
        union=union,
    )


def unit_forms(
    *, actor, unit: Unit, year: int, request=None, limit: int | None = None
) -> tuple[bytes, int]:
    """The forms of every member on the unit's roster of `year`. They carry full ID, phone
    and card numbers (the member signs the paper and hands it in), so printing them is
    audited like a full view (S2, S3). With `limit`, a roster of more members is refused
    before any is read or decrypted."""
    if limit is not None:
        count = roster_enrollments(unit=unit, year=year).count()
        if count > limit:
            raise ExportError(
                _(
                    "%(unit)s has %(count)s enrollments in %(year)s: at most %(limit)s forms "
                    "are printed at once. Choose one of its grassroots unions."
                )
                % {"unit": unit.name, "count": count, "year": year, "limit": limit}
            )
    entries = unit_entries(unit=unit, year=year)
    if not entries:
        raise ExportError(
            _("%(unit)s has no enrollments in %(year)s.") % {"unit": unit.name, "year": year}
        )
    content, pages = render_forms(entries, year=year)
    record_event(
        action=Action.ROSTER_FORMS,
        actor=actor,
        request=request,
        unit_path=unit.path,
        summary=f"{year} {unit.name} {pages}",
        data={"unit": unit.name, "unit_id": unit.pk, "year": year, "count": pages},
    )
    return content, pages


def member_form(*, actor, member: Member, year: int, request=None) -> bytes:
    """One member's form; audited against the member like a full view."""
    content, _pages = render_forms([member_entry(member)], year=year)
    record_event(
        action=Action.ROSTER_FORMS,
        actor=actor,
        request=request,
        target=member,
        summary=f"{year} {member.name} {member.id_number_masked}",
        data={"year": year, "count": 1},
    )
    return content


def forms_filename(name: str, year: int) -> str:
    return f"{UNSAFE_IN_NAMES.sub('_', name).strip() or 'forms'}{year}付款授权书.pdf"
