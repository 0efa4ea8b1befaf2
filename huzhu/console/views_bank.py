"""Refused bank notices for follow-up (SPEC §7a), district admin and auditors, masked."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huzhu.accounts import roles
from huzhu.bank.selectors import refused_notices
from huzhu.console.access import require, staff_view


@require_GET
@staff_view
@require(roles.can_read_audit)
def bank_notices(request):
    page = Paginator(refused_notices(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "console/bank_notices.html", {"page": page, "query": ""})
