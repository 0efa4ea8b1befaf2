"""Scheme-year policies in the console: each version readable, and two versions compared."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from huzhu.console.access import staff_view
from huzhu.policy.document import diff_documents
from huzhu.policy.models import PolicyVersion
from huzhu.policy.selectors import parsed_policy


@require_GET
@staff_view
def policies(request):
    versions = list(PolicyVersion.objects.order_by("-year", "-version"))
    context = {"versions": versions}
    old_id, new_id = request.GET.get("a"), request.GET.get("b")
    if old_id and new_id and old_id.isdigit() and new_id.isdigit():
        old = get_object_or_404(PolicyVersion, pk=old_id)
        new = get_object_or_404(PolicyVersion, pk=new_id)
        context.update(old=old, new=new, changes=diff_documents(old.document, new.document))
    return render(request, "console/policies.html", context)


@require_GET
@staff_view
def policy(request, pk: int):
    version = get_object_or_404(PolicyVersion, pk=pk)
    return render(
        request, "console/policy.html", {"version": version, "policy": parsed_policy(version)}
    )
