"""One unit's page, and the district admin's corrections of the tree: rename, move,
deactivate, reactivate (each a service with its audit row)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.console.forms import UnitMoveForm, UnitRenameForm
from huzhu.org import selectors as org_selectors
from huzhu.org.models import FormsRoute, Unit, UnitKind
from huzhu.org.services import (
    UnitError,
    deactivate_unit,
    move_unit,
    reactivate_unit,
    rename_unit,
)


def _unit(request, pk: int) -> Unit:
    return org_selectors.unit_for(user=request.user, pk=pk)


@require_GET
@staff_view
def unit(request, pk: int):
    found = _unit(request, pk)
    context = {
        "unit": found,
        "children": org_selectors.child_units(user=request.user, unit=found),
        "members": org_selectors.member_count(user=request.user, unit=found),
        "targets": org_selectors.unit_targets(user=request.user, unit=found),
        "forms_route_label": FormsRoute(found.paper_forms_route).label,
        "forms_routes": FormsRoute.choices,
    }
    if roles.can_correct_units(request.user.role):
        context["rename_form"] = UnitRenameForm(initial={"name": found.name})
        if found.kind != UnitKind.DISTRICT and found.kind != UnitKind.ORGANIZING:
            context["move_form"] = UnitMoveForm(
                parents=org_selectors.move_choices(user=request.user, unit=found)
            )
    return render(request, "console/unit.html", context)


def _done(request, found: Unit, action):
    try:
        action()
    except UnitError as exc:
        messages.error(request, str(exc))
    return redirect("console:unit", found.pk)


@require_POST
@staff_view
@require(roles.can_correct_units)
def unit_rename(request, pk: int):
    found = _unit(request, pk)
    form = UnitRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the unit name."))
        return redirect("console:unit", found.pk)
    old = found.name

    def rename():
        rename_unit(actor=request.user, unit=found, name=form.cleaned_data["name"], request=request)
        messages.success(
            request,
            _("Unit “%(old)s” renamed to “%(new)s”.")
            % {"old": old, "new": form.cleaned_data["name"].strip()},
        )

    return _done(request, found, rename)


@require_POST
@staff_view
@require(roles.can_correct_units)
def unit_move(request, pk: int):
    found = _unit(request, pk)
    form = UnitMoveForm(
        request.POST, parents=org_selectors.move_choices(user=request.user, unit=found)
    )
    if not form.is_valid():
        messages.error(request, _("Choose the unit to move it under."))
        return redirect("console:unit", found.pk)
    parent = form.cleaned_data["parent"]

    def move():
        move_unit(actor=request.user, unit=found, parent=parent, request=request)
        messages.success(
            request,
            _("Unit “%(name)s” moved under “%(parent)s”.")
            % {"name": found.name, "parent": parent.name},
        )

    return _done(request, found, move)


@require_POST
@staff_view
@require(roles.can_correct_units)
def unit_deactivate(request, pk: int):
    found = _unit(request, pk)

    def deactivate():
        deactivate_unit(actor=request.user, unit=found, request=request)
        messages.success(request, _("Unit “%(name)s” deactivated.") % {"name": found.name})

    return _done(request, found, deactivate)


@require_POST
@staff_view
@require(roles.can_correct_units)
def unit_reactivate(request, pk: int):
    found = _unit(request, pk)

    def reactivate():
        reactivate_unit(actor=request.user, unit=found, request=request)
        messages.success(request, _("Unit “%(name)s” reactivated.") % {"name": found.name})

    return _done(request, found, reactivate)
