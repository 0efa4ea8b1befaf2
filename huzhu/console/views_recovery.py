"""追回事项 (SPEC B-X3, D9): the recovery cases of the user's scope, open ones first, and
finance's record of money the member paid back."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.accounts.access import scope_path
from huzhu.claims import recovery, services
from huzhu.claims.models import RecoveryCase, RecoveryState
from huzhu.console.access import require, staff_view
from huzhu.org.paths import starts_with

PAGE = 50


def _cases(user):
    return RecoveryCase.objects.filter(starts_with("unit_path", scope_path(user)))


@require_GET
@staff_view
@require(roles.can_read_claims)
def recoveries(request):
    state = request.GET.get("state", RecoveryState.OPEN)
    if state not in (*RecoveryState.values, "all"):
        state = RecoveryState.OPEN
    cases = _cases(request.user).select_related("claim", "member", "opened_by")
    if state != "all":
        cases = cases.filter(state=state)
    page = Paginator(cases.order_by("-opened_at", "-pk"), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/claims/recoveries.html",
        {
            "page": page,
            "state": state,
            "states": [
                (RecoveryState.OPEN, RecoveryState.OPEN.label),
                (RecoveryState.RECOVERED, RecoveryState.RECOVERED.label),
                ("all", _("All")),
            ],
            "may_record": roles.can_do_finance(request.user.role),
        },
    )


@require_POST
@staff_view
@require(roles.can_do_finance)
def recovery_repay(request, pk: int):
    case = get_object_or_404(_cases(request.user), pk=pk)
    try:
        recovery.record_repayment(
            case_id=case.pk,
            amount_text=request.POST.get("amount", ""),
            actor=request.user,
            memo=request.POST.get("memo", ""),
            request=request,
        )
    except services.ClaimError as refused:
        messages.error(
            request, _("Case %(pk)s: %(message)s") % {"pk": case.pk, "message": refused.message}
        )
    else:
        messages.success(request, _("The repayment was recorded in the fund ledger."))
    return redirect("console:recoveries")
