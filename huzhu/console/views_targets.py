"""Importing a targets file from the console: upload (with the workbook's password when it
is encrypted), and when the file names units the tree does not hold, or leaves out units
holding figures it replaces, a confirmation page listing them before anything is written."""

import secrets
from dataclasses import asdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.dates import scheme_today
from huzhu.files import rules as file_kinds
from huzhu.files.services import FileRefused, store_upload
from huzhu.org import selectors as org_selectors
from huzhu.org.rules import (
    TargetFile,
    TargetFileError,
    TargetRow,
    parse_target_table,
    shown_errors,
)
from huzhu.org.selectors import any_organizing_unit
from huzhu.org.services import (
    UnionTargetsRefused,
    import_targets,
    new_unit_rows,
    set_union_targets,
    unlisted_units,
)
from huzhu.tabular import TableError, read_rows
from huzhu.uploads import record_rejected_upload, size_error
from huzhu.years import scheme_year

PENDING = "huzhu.targets_pending"


def _refuse(request, name: str, size: int, errors: list[str]):
    record_rejected_upload(
        actor=request.user, kind="targets", name=name, size=size, reasons=errors, request=request
    )
    for error in shown_errors(errors):
        messages.error(request, error)
    messages.error(request, _("Nothing was imported."))
    return redirect("console:targets")


@sensitive_post_parameters("password")
def receive_upload(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a targets file to upload."))
        return redirect("console:targets")
    name, size = upload.name, upload.size
    too_large = size_error(size)
    if too_large:
        return _refuse(request, name, size, [too_large])
    # The password opens the workbook and is forgotten: it is never stored, logged or
    # shown again (a refusal says only that it was wrong).
    password = request.POST.get("password") or None
    try:
        content = upload.read()
        rows = read_rows(content, name, password=password)
        parsed = parse_target_table(rows, example_year=scheme_today().year)
    except TableError as exc:
        return _refuse(request, name, size, [str(exc)])
    except TargetFileError as exc:
        return _refuse(request, name, size, exc.errors)
    # Kept in the file store (SPEC S5, E6), which audits the upload once per content.
    try:
        stored = store_upload(
            actor=request.user,
            source=content,
            name=name,
            unit_path=request.user.unit_path,
            allowed=file_kinds.WORKBOOKS,
            purpose="targets",
            request=request,
        )
    except FileRefused as exc:
        return _refuse(request, name, size, [exc.message])
    if not stored.created:
        messages.info(request, _("This is the same file as one uploaded before."))
    new = new_unit_rows(parsed) if any_organizing_unit() else []
    cleared = unlisted_units(parsed)
    if new or cleared:
        # The tree holds units and the file names others (a typo or a real new unit), or
        # leaves out some that hold figures (a unit renamed in the file, or a row lost).
        # The person decides on the next page; nothing is written until then.
        token = secrets.token_urlsafe(16)
        request.session[PENDING] = {
            "token": token,
            "name": name,
            "size": size,
            "year": parsed.year,
            "rows": [asdict(row) for row in parsed.rows],
            "new": new,
            "cleared": cleared,
        }
        return redirect("console:targets_confirm")
    return _apply(request, parsed, name, size)


def _apply(request, parsed: TargetFile, name: str, size: int, create_units=(), clear_units=()):
    try:
        result = import_targets(
            actor=request.user,
            parsed=parsed,
            source=name,
            create_units=create_units,
            clear_units=clear_units,
            request=request,
        )
    except TargetFileError as exc:
        return _refuse(request, name, size, exc.errors)
    if result.first_import:
        messages.info(
            request,
            _("The tree held no organizing units: %(count)s were created from the file.")
            % {"count": len(result.created)},
        )
    elif result.created:
        messages.info(
            request,
            _("New organizing units created: %(names)s.") % {"names": "、".join(result.created)},
        )
    if result.cleared:
        messages.info(
            request,
            _("Figures cleared for organizing units not in the file: %(names)s.")
            % {"names": "、".join(result.cleared)},
        )
    messages.success(
        request,
        _("Imported the %(year)s targets: %(units)s organizing units (%(created)s new).")
        % {"year": result.year, "units": result.units, "created": len(result.created)},
    )
    return redirect(f"{reverse('console:targets')}?year={result.year}")


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_edit_targets)
def confirm(request):
    pending = request.session.get(PENDING)
    if not pending:
        messages.info(request, _("There is no import waiting for confirmation."))
        return redirect("console:targets")
    if request.method == "GET":
        return render(
            request,
            "console/targets_confirm.html",
            {"pending": pending, "previous_year": pending["year"] - 1},
        )
    if request.POST.get("token") != pending["token"]:
        messages.error(request, _("This confirmation is out of date: upload the file again."))
        return redirect("console:targets")
    del request.session[PENDING]
    if "cancel" in request.POST:
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("console:targets")
    parsed = TargetFile(year=pending["year"], rows=[TargetRow(**row) for row in pending["rows"]])
    return _apply(
        request,
        parsed,
        pending["name"],
        pending["size"],
        create_units={name for _row, name in pending["new"]},
        clear_units=set(pending.get("cleared", ())),
    )


# An organizing unit's target split among its grassroots unions, and its weekly trend.


def breakdown_context(request, *, year: int, organizing) -> dict:
    """The rows, sums and trend an organizing unit's breakdown shows (its page and an
    organizing-unit user's dashboard)."""
    breakdown = org_selectors.union_breakdown(user=request.user, year=year, organizing=organizing)
    trend = org_selectors.weekly_trend(user=request.user, year=year, organizing=organizing)
    return {"breakdown": breakdown, "trend": trend_chart(trend)}


def trend_chart(rows) -> dict | None:
    """Bar heights in percent of the chart for the cumulative paid count per week."""
    if not rows:
        return None
    top = rows[-1].cumulative or 1
    width = 100 / len(rows)
    bars = [
        {
            "row": r,
            "x": f"{i * width:.2f}",
            "width": f"{width * 0.8:.2f}",
            "height": f"{r.cumulative / top * 100:.1f}",
            "y": f"{100 - r.cumulative / top * 100:.1f}",
        }
        for i, r in enumerate(rows)
    ]
    return {"rows": rows, "bars": bars}


@require_http_methods(["GET", "POST"])
@staff_view
def union_targets(request, pk: int):
    organizing = org_selectors.breakdown_unit(user=request.user, pk=pk)
    year = scheme_year(request.GET.get("year", ""))
    if year is None:
        # As the dashboard: the latest year with completed counts.
        year = org_selectors.dashboard(user=request.user, year=None).year or scheme_today().year
    if request.method == "POST":
        if not roles.can_split_targets(request.user.role):
            raise PermissionDenied
        entries = {
            int(key.removeprefix("union-")): value
            for key, value in request.POST.items()
            if key.startswith("union-") and key.removeprefix("union-").isdigit()
        }
        try:
            set_union_targets(
                actor=request.user,
                organizing=organizing,
                year=year,
                entries=entries,
                request=request,
            )
        except UnionTargetsRefused as exc:
            for error in shown_errors(exc.errors):
                messages.error(request, error)
            messages.error(request, _("Nothing was saved."))
        else:
            messages.success(request, _("The targets of the grassroots unions were saved."))
        return redirect(f"{reverse('console:union_targets', args=[pk])}?year={year}")
    context = breakdown_context(request, year=year, organizing=organizing)
    context.update(
        {
            "year": year,
            "years": sorted({year, *org_selectors.target_years()}, reverse=True),
            "editable": roles.can_split_targets(request.user.role),
        }
    )
    return render(request, "console/union_targets.html", context)
