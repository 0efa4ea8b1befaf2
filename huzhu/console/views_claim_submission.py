"""A union clerk submits a claim for a member (SPEC C1, §12): the portal's two steps
(huzhu.claims.pages), the clerk as the claim's submitter."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huzhu.accounts import roles
from huzhu.claims import pages
from huzhu.claims.models import Claim
from huzhu.console.access import require, staff_view
from huzhu.members import selectors as member_selectors


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_submit_claims)
def member_claim_new(request, pk: int):
    member = member_selectors.member_for(user=request.user, pk=pk)
    found = pages.new_claim(request, members=[member], actor=request.user)
    if isinstance(found, Claim):
        messages.success(
            request,
            _("Claim #%(pk)s submitted for %(name)s; the member is told by text message.")
            % {"pk": found.pk, "name": member.name},
        )
        return redirect("console:member", member.pk)
    context = {**found, "member": member}
    return render(request, "console/claim_new.html", context, status=found.get("status", 200))
