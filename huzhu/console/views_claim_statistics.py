"""Claim statistics of a scheme year (SPEC §12 district admin): tables, bar charts drawn as
inline SVG on the server (no script, no library), and the same figures as .xlsx."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huzhu.accounts import roles
from huzhu.claims.statistics import ClaimStatistics, claim_statistics, claim_years
from huzhu.claims.statistics_export import record_statistics_export, statistics_workbook
from huzhu.console.access import require, staff_view
from huzhu.dates import scheme_today
from huzhu.org.models import Unit, UnitKind
from huzhu.years import scheme_year

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen(request) -> tuple[ClaimStatistics, list[int], list[Unit]]:
    """The statistics of the year asked for (else the latest with claims, else this year)
    and of the organizing unit asked for (unknown ids are ignored, never a 500); the years
    and units to choose from."""
    years = claim_years()
    year = scheme_year(request.GET.get("year", "")[:10])
    if year is None:
        year = years[0] if years else scheme_today().year
    units = list(
        Unit.objects.filter(kind=UnitKind.ORGANIZING)
        .order_by("position", "name")
        .only("id", "name", "path")
    )
    raw = request.GET.get("unit", "")[:12]
    unit = next((u for u in units if raw.isascii() and raw.isdigit() and u.pk == int(raw)), None)
    stats = claim_statistics(year=year, unit=unit)
    return stats, sorted({year, *years}, reverse=True), units


def bar_chart(rows: list[tuple[str, int, int]]) -> dict | None:
    """Paired bars (submitted, approved) per label, heights in percent of the tallest."""
    if not rows:
        return None
    top = max(max(submitted, approved) for _label, submitted, approved in rows) or 1
    slot = 100 / len(rows)
    bars = []
    for index, (label, submitted, approved) in enumerate(rows):
        x = index * slot
        bars.append(
            {
                "label": label,
                "submitted": submitted,
                "approved": approved,
                "x": f"{x + slot * 0.1:.2f}",
                "x2": f"{x + slot * 0.5:.2f}",
                "label_x": f"{x + slot * 0.5:.2f}",
                "width": f"{slot * 0.4:.2f}",
                "h1": f"{submitted / top * 85:.2f}",
                "y1": f"{90 - submitted / top * 85:.2f}",
                "h2": f"{approved / top * 85:.2f}",
                "y2": f"{90 - approved / top * 85:.2f}",
            }
        )
    return {"bars": bars, "top": top}


def _charts(stats: ClaimStatistics) -> dict:
    return {
        "benefit_chart": bar_chart([(r.label, r.submitted, r.approved) for r in stats.benefits]),
        "month_chart": bar_chart(
            [(f"{m.month:%Y-%m}", m.submitted, m.approved) for m in stats.months]
        ),
    }


@require_GET
@staff_view
@require(roles.can_read_claim_statistics)
def statistics(request):
    stats, years, units = _chosen(request)
    context = {"stats": stats, "year": stats.year, "years": years, "unit": stats.unit}
    return render(
        request, "console/claims/statistics.html", {**context, "units": units, **_charts(stats)}
    )


@require_GET
@staff_view
@require(roles.can_read_claim_statistics)
def statistics_xlsx(request):
    stats, _years, _units = _chosen(request)
    content = statistics_workbook(stats)
    record_statistics_export(actor=request.user, stats=stats, request=request)
    response = HttpResponse(content, content_type=XLSX)
    suffix = f"-{stats.unit.pk}" if stats.unit is not None else ""
    response["Content-Disposition"] = (
        f"attachment; filename=claim-statistics-{stats.year}{suffix}.xlsx"
    )
    return response
