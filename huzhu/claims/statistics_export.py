"""The claim statistics as an .xlsx workbook (huzhu.xlsx: text stays text), and the audit
row of each download (SPEC S3: who took which year's figures out of the system)."""

from django.db import transaction
from django.utils.translation import gettext as _

from huzhu.accounts.models import User
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims.statistics import ClaimStatistics, Figures
from huzhu.xlsx import Percent, XlsxBook


def _figures(row: Figures) -> list:
    return [
        row.submitted,
        row.open,
        row.awaiting_second,
        row.approved,
        row.approved_amount,
        row.paid,
        row.paid_amount,
        row.unpaid,
        row.unpaid_amount,
        row.rejected,
    ]


def _headers() -> list[str]:
    return [
        _("submitted"),
        _("not yet decided"),
        _("awaiting second approval"),
        _("approved"),
        _("approved amount (yuan)"),
        _("paid out"),
        _("paid out (yuan)"),
        _("approved, not yet paid"),
        _("approved, not yet paid (yuan)"),
        _("rejected"),
    ]


def statistics_workbook(stats: ClaimStatistics) -> bytes:
    book = XlsxBook()
    scope = stats.unit.name if stats.unit is not None else _("All organizing units")
    title = _("Claim statistics %(year)s · %(scope)s") % {"year": stats.year, "scope": scope}

    heads = [_("benefit"), *_headers(), _("average days to decision"), _("median days")]
    sheet = book.sheet(_("By benefit"), len(heads)).widths([22] + [12] * (len(heads) - 1))
    sheet.title(title).header(heads)
    for row in stats.benefits:
        sheet.row([row.label, *_figures(row), row.average_days, row.median_days])
    sheet.row(
        [_("total"), *_figures(stats.total), stats.average_days, stats.median_days], bold=True
    )

    heads = [_("organizing unit"), *_headers()]
    sheet = book.sheet(_("By organizing unit"), len(heads)).widths([22] + [12] * 10)
    sheet.title(title).header(heads)
    for unit_row in stats.units:
        sheet.row([unit_row.name, *_figures(unit_row)])

    heads = [_("month of submission"), *_headers()]
    sheet = book.sheet(_("By month"), len(heads)).widths([16] + [12] * 10)
    sheet.title(title).header(heads)
    for month in stats.months:
        sheet.row([f"{month.month:%Y-%m}", *_figures(month)])

    ratio = stats.loss_ratio
    sheet = book.sheet(_("Loss ratio"), 2).widths([36, 18])
    sheet.title(_("Loss ratio %(year)s (the whole fund)") % {"year": stats.year})
    sheet.row([_("fee income (yuan)"), ratio.income])
    sheet.row([_("refunds (yuan)"), ratio.refunds])
    sheet.row([_("benefit payouts (yuan)"), ratio.payouts])
    sheet.row([_("recoveries (yuan)"), ratio.recoveries])
    sheet.row(
        [
            _("loss ratio"),
            Percent(ratio.percent) if ratio.percent is not None else _("no fee income"),
        ],
        bold=True,
    )
    return book.close()


def record_statistics_export(*, actor: User, stats: ClaimStatistics, request=None) -> None:
    with transaction.atomic():
        record_event(
            action=Action.CLAIMS_EXPORT,
            actor=actor,
            request=request,
            unit_path=stats.unit.path if stats.unit is not None else actor.unit_path,
            summary=f"{stats.year}" + (f" {stats.unit.name}" if stats.unit else ""),
            data={"year": stats.year, "unit": stats.unit.pk if stats.unit else None},
        )
