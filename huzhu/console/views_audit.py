"""The audit log page, for the district admin and auditors (SPEC S3)."""

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from huzhu.accounts import roles
from huzhu.audit.actions import Action
from huzhu.audit.selectors import events_for
from huzhu.console.access import require, staff_view


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=50)
    who = forms.CharField(label=_("Who"), required=False, max_length=150)
    since = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@require_GET
@staff_view
@require(roles.can_read_audit)
def audit(request):
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    events = events_for(
        user=request.user,
        words=filters.get("action", ""),
        who=filters.get("who", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    return render(
        request,
        "console/audit.html",
        {"page": page, "form": form, "query": query, "labels": [a.label for a in Action]},
    )
