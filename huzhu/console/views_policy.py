"""Scheme-year policies in the console: each version readable, and two versions compared."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from huzhu.console.access import staff_view
from huzhu.policy.comparison import compare
from huzhu.policy.models import PolicyVersion
from huzhu.policy.selectors import parsed_policy, policy_version, policy_versions


def _default_pair(versions: list[PolicyVersion]) -> tuple[PolicyVersion | None, ...]:
    """The latest versions of the two latest years (older, newer); with a single year, its
    two latest versions. `versions` is newest first."""
    latest_of_year: dict[int, PolicyVersion] = {}
    for version in versions:
        latest_of_year.setdefault(version.year, version)
    newest = list(latest_of_year.values())
    if len(newest) >= 2:
        return newest[1], newest[0]
    if len(versions) >= 2:
        return versions[1], versions[0]
    return None, None


@require_GET
@staff_view
def policies(request):
    versions = policy_versions()
    old_id, new_id = request.GET.get("a", ""), request.GET.get("b", "")
    # ASCII digits only: "²" passes isdigit() and then fails int() inside the query.
    if all(ref.isascii() and ref.isdigit() for ref in (old_id, new_id)):
        old: PolicyVersion | None = policy_version(pk=old_id)
        new: PolicyVersion | None = policy_version(pk=new_id)
    else:
        old, new = _default_pair(versions)
    show_same = request.GET.get("all") == "1"
    context = {"versions": versions, "old": old, "new": new, "show_same": show_same}
    if old is not None and new is not None:
        rows = compare(old.document, new.document, include_same=show_same)
        context.update(rows=rows, differences=sum(1 for row in rows if row.change != "same"))
    return render(request, "console/policies.html", context)


@require_GET
@staff_view
def policy(request, pk: int):
    version = policy_version(pk=pk)
    return render(
        request, "console/policy.html", {"version": version, "policy": parsed_policy(version)}
    )
