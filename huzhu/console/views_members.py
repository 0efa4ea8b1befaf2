"""The member list and its search (SPEC S1, S2)."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from huzhu.accounts import roles
from huzhu.console.access import staff_view
from huzhu.members import selectors
from huzhu.members.rules import SearchKind, classify_search
from huzhu.members.services import SearchRefused, refuse_number_search, search_by_full_number

# What may travel in an address: it confirms nothing the list does not already show.
SAFE_IN_ADDRESS = {SearchKind.ALL, SearchKind.NAME, SearchKind.LAST_FOUR, SearchKind.MASKED}


def _refusal() -> str:
    return _(
        "Your role may not search by full ID or phone number. Search by name or by the "
        "last four digits of an ID or mobile number."
    )


@never_cache  # a search by full number answers with the members holding it
@require_http_methods(["GET", "POST"])
@staff_view
def members(request):
    """The search box posts, so a full number never appears in an address (nor in the web
    server's log); a name or a masked fragment comes back as a GET, which pages."""
    source = request.POST if request.method == "POST" else request.GET
    search = classify_search(source.get("q", ""))
    if request.method == "POST" and search.kind in SAFE_IN_ADDRESS:
        query = f"?{urlencode({'q': search.value})}" if search.value else ""
        return redirect(reverse("console:members") + query)
    q = search.value if search.kind in SAFE_IN_ADDRESS else ""
    context: dict[str, object] = {
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "error": "",
        "number": "",
    }
    status = 200
    found: list = []
    if search.is_full_number and request.method == "POST":
        try:
            found = search_by_full_number(actor=request.user, search=search, request=request)
        except SearchRefused as exc:
            context["error"], status = exc.message, exc.status
        else:
            context["number"] = search.masked
    elif search.is_full_number:
        # Typed into the address by hand: not searched, whoever asks, and audited.
        allowed = roles.can_view_full_identity(request.user.role)
        refuse_number_search(
            actor=request.user,
            search=search,
            reason="address" if allowed else "role",
            request=request,
        )
        if allowed:
            context["error"] = _(
                "Full ID and phone numbers are not searched from the address bar: type the "
                "number in the search box."
            )
        else:
            context["error"], status = _refusal(), 403
    elif search.kind == SearchKind.UNCLEAR:
        context["error"] = _(
            "Search by name, by the last four digits of an ID or mobile number, or by a "
            "number as the lists show it masked."
        )
    else:
        context["page"] = selectors.member_page(
            user=request.user,
            search=search,
            after=_cursor(request.GET.get("after")),
            before=_cursor(request.GET.get("before")),
            unit=_cursor(request.GET.get("unit")),
        )
        if search.kind == SearchKind.ALL:
            context["jump_units"] = selectors.member_units(user=request.user)
            context["jump_unit"] = _cursor(request.GET.get("unit"))
        return render(request, "console/members.html", context, status=status)
    context["page"] = selectors.MemberPage(
        members=found, next_after=None, previous_before=None, count=len(found)
    )
    return render(request, "console/members.html", context, status=status)


def _cursor(value: str | None) -> int | None:
    """An id from a pager link; anything else is no cursor (the first page)."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None
