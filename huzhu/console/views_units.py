"""One unit's page, and the district admin's corrections of the tree: rename, move,
deactivate, reactivate (each a service with its audit row)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.accounts.access import get_in_scope_or_404
from huzhu.console.access import require, staff_view
from huzhu.console.forms import UnitMoveForm, UnitRenameForm
from huzhu.members import selectors as member_selectors
from huzhu.org import selectors as org_selectors
from huzhu.org.models import CHILD_KINDS, Target, Unit, UnitKind
from huzhu.org.services import (
    UnitError,
    deactivate_unit,
    move_unit,
    reactivate_unit,
    rename_unit,
)


def _unit(request, pk: int) -> Unit:
    return get_in_scope_or_404(Unit.objects.select_related("parent"), request.user, pk=pk)


def _move_choices(unit: Unit):
    """Active units of the kind this unit may sit under, other than its parent."""
    kinds = [kind for kind, children in CHILD_KINDS.items() if unit.kind in children]
    return (
        Unit.objects.filter(kind__in=kinds, active=True).exclude(pk=unit.parent_id).order_by("path")
    )


@require_GET
@staff_view
def unit(request, pk: int):
    found = _unit(request, pk)
    context = {
        "unit": found,
        "children": org_selectors.units_for(user=request.user).filter(parent=found),
        "members": member_selectors.members_for(user=request.user)
        .filter(unit_path__startswith=found.path)
        .count(),
        "targets": Target.objects.filter(unit=found).order_by("-year"),
    }
    if roles.can_correct_units(request.user.role):
        context["rename_form"] = UnitRenameForm(initial={"name": found.name})
        if found.kind != UnitKind.DISTRICT and found.kind != UnitKind.ORGANIZING:
            context["move_form"] = UnitMoveForm(parents=_move_choices(found))
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
    form = UnitMoveForm(request.POST, parents=_move_choices(found))
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
