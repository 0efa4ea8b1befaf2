"""A member's record over time: edits, moves between grassroots unions, the history, and
the correction requests members send from the portal (SPEC M1, S1, S2)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.console.forms import (
    MemberEditForm,
    MemberMoveForm,
    RefuseCorrectionForm,
    add_errors,
)
from huzhu.enrollment.services import assign_held
from huzhu.members import selectors as member_selectors
from huzhu.members.models import Member
from huzhu.members.services import (
    CorrectionError,
    MemberError,
    MemberUpdate,
    move_member,
    refuse_correction,
    update_member,
)
from huzhu.org import selectors as org_selectors
from huzhu.org.models import UnitKind


def _move_units(request, member: Member):
    return org_selectors.member_units(user=request.user).exclude(pk=member.unit_id)


def member_page(request, member: Member, *, edit_form=None, move_form=None, status=200):
    """The member page: details, history, open requests, and the forms for editors."""
    corrections = list(member_selectors.open_corrections(user=request.user, member=member))
    context: dict[str, object] = {
        "member": member,
        "history": member_selectors.member_changes(user=request.user, member=member),
        "corrections": corrections,
    }
    if roles.can_edit_members(request.user.role):
        context["edit_form"] = edit_form or MemberEditForm(
            initial={
                "name": member.name,
                "employer_name": member.employer_name,
                "has_basic_insurance": member.has_basic_insurance,
                "insurance_scope": member.insurance_scope,
            },
            corrections=corrections,
        )
        context["move_form"] = move_form or MemberMoveForm(units=_move_units(request, member))
        context["refuse_form"] = RefuseCorrectionForm()
    return render(request, "console/member.html", context, status=status)


@require_POST
@staff_view
@require(roles.can_edit_members)
def member_edit(request, pk: int):
    member = member_selectors.member_for(user=request.user, pk=pk)
    corrections = list(member_selectors.open_corrections(user=request.user, member=member))
    form = MemberEditForm(request.POST, corrections=corrections)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        answered = next((c for c in corrections if c.pk == data.get("correction")), None)
        try:
            update_member(
                actor=request.user,
                member=member,
                request=request,
                correction=answered,
                data=MemberUpdate(
                    name=data["name"],
                    phone=data["phone"],
                    union_card=data["union_card"],
                    employer_name=data["employer_name"],
                    has_basic_insurance=data["has_basic_insurance"],
                    insurance_scope=data["insurance_scope"],
                ),
            )
        except MemberError as exc:
            add_errors(form, exc.errors)
            status = exc.status
        else:
            messages.success(request, _("The member's details were changed."))
            return redirect("console:member", member.pk)
    return member_page(request, member, edit_form=form, status=status)


@require_POST
@staff_view
@require(roles.can_edit_members)
def member_move(request, pk: int):
    member = member_selectors.member_for(user=request.user, pk=pk)
    raw = request.POST.get("unit", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        # A unit outside the user's scope is answered as missing (SPEC S1).
        if not org_selectors.member_units(user=request.user).filter(pk=int(raw)).exists():
            raise Http404
    form = MemberMoveForm(request.POST, units=_move_units(request, member))
    if form.is_valid():
        union = form.cleaned_data["unit"]
        try:
            if member.unit.kind == UnitKind.ORGANIZING:
                # A held online signer: the held enrollments take the union too (§7a).
                assign_held(
                    actor=request.user, member_ids=[member.pk], union=union, request=request
                )
            else:
                move_member(actor=request.user, member=member, unit=union, request=request)
        except MemberError as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(
                request,
                _("%(name)s now belongs to %(unit)s.") % {"name": member.name, "unit": union.name},
            )
            return redirect("console:member", member.pk)
    return member_page(request, member, move_form=form)


@require_GET
@staff_view
def corrections(request):
    found = list(member_selectors.open_corrections(user=request.user)[:200])
    return render(request, "console/corrections.html", {"corrections": found})


@require_POST
@staff_view
@require(roles.can_edit_members)
def correction_refuse(request, pk: int):
    correction = member_selectors.correction_for(user=request.user, pk=pk)
    form = RefuseCorrectionForm(request.POST)
    if form.is_valid():
        try:
            refuse_correction(
                actor=request.user,
                correction=correction,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except CorrectionError as exc:
            messages.error(request, "；".join(exc.errors.values()))
        else:
            messages.success(request, _("The request was refused; the member sees the reason."))
    else:
        messages.error(request, _("Give the member a reason."))
    return redirect("console:member", correction.member_id)
