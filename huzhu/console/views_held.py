"""待分配基层工会: members who signed online through the bank are held under their
organizing unit until its admin assigns a grassroots union (SPEC §7a, S1)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.enrollment import selectors
from huzhu.enrollment.models import State
from huzhu.enrollment.services import assign_held
from huzhu.members.services import MemberError
from huzhu.org import selectors as org_selectors


def _ids(values: list[str]) -> list[int] | None:
    if not all(v.isascii() and v.isdigit() and len(v) <= 18 for v in values):
        return None
    return sorted({int(v) for v in values})


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_assign_held)
def held(request):
    unions = org_selectors.member_units(user=request.user).select_related("parent")
    errors: dict[str, str] = {}
    chosen: list[int] = []
    if request.method == "POST":
        ids = _ids(request.POST.getlist("member"))
        raw_unit = request.POST.get("unit", "")
        if ids is None or (raw_unit != "" and _ids([raw_unit]) is None):
            raise Http404
        chosen = ids
        # A member or a union outside the user's scope is answered as missing (SPEC S1).
        union = unions.filter(pk=int(raw_unit)).first() if raw_unit else None
        found = selectors.held_members(user=request.user, ids=ids) if ids else []
        if len(found) != len(ids) or (raw_unit and union is None):
            raise Http404
        if not ids:
            errors["member"] = _("Members: tick at least one member.")
        if union is None:
            errors["unit"] = _("Grassroots union: choose one.")
        if not errors and union is not None:
            try:
                filled = assign_held(
                    actor=request.user, member_ids=ids, union=union, request=request
                )
            except MemberError as exc:
                errors = {
                    k if k in ("member", "unit") else "unit": v for k, v in exc.errors.items()
                }
            else:
                messages.success(
                    request,
                    _(
                        "%(count)s members now belong to %(unit)s "
                        "(%(filled)s enrollments filled in)."
                    )
                    % {"count": len(ids), "unit": union.name, "filled": filled},
                )
                return redirect("console:held")
    members = selectors.held_members(user=request.user)
    for member in members:
        state = getattr(member, "enrollment_state", None)
        member.state_label = State(state).label if state else ""  # type: ignore[attr-defined]
    context = {
        "members": members,
        "unions": unions,
        "errors": errors,
        "chosen": chosen,
        "chosen_unit": request.POST.get("unit", ""),
    }
    return render(request, "console/held.html", context)
