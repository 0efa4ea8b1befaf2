"""我的补助申请 (SPEC C1, C2, C5, §12): the signed-in member's claims, a new claim in two
steps (huzhu.claims.pages), a claim's history and decision, its documents, and more
information sent for a returned claim."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huzhu.calcfront.pages import blank_stay
from huzhu.claims import pages, rules, selectors, services
from huzhu.claims.forms import ClaimStayFormSet, stays_initial
from huzhu.claims.models import Claim, ClaimState
from huzhu.files.responses import stored_response
from huzhu.portal.views import member_view


@require_GET
@member_view
def claims(request):
    return render(
        request,
        "portal/claims.html",
        {
            "members": request.members,
            "tab": "claims",
            "claims": selectors.member_claims(members=request.members),
            "sent": request.GET.get("sent", ""),
        },
    )


@require_http_methods(["GET", "POST"])
@member_view
def claim_new(request):
    found = pages.new_claim(request, members=request.members, actor=None)
    if isinstance(found, Claim):
        return redirect(reverse("portal:claim", args=[found.pk]) + "?sent=1")
    context = {**found, "members": request.members, "tab": "claims"}
    return render(request, "portal/claim_new.html", context, status=found.get("status", 200))


def _claim_page(request, claim: Claim, *, status=200, **extra):
    decision = services.latest_decision(claim)
    context = {
        "members": request.members,
        "tab": "claims",
        "claim": claim,
        "state": rules.state_label(claim.state),
        "events": selectors.member_events(claim),
        "documents": claim.documents.select_related("file"),
        "decided": claim.state in {*rules.GRANTED, ClaimState.REJECTED},
        "explanation": decision.answer.get("explanation", []) if decision else [],
        "may_resend": claim.state in rules.MEMBER_MAY_RESEND,
        "sent": request.GET.get("sent", ""),
        "note_chars": pages.NOTE_CHARS,
        **extra,
    }
    if context["may_resend"]:
        context.setdefault("document_inputs", pages.document_inputs(claim.benefit))
        if pages.asks_stays(claim):
            context.setdefault(
                "stays",
                ClaimStayFormSet(
                    prefix="stay",
                    initial=stays_initial(claim.facts, pages.claim_details(claim)),
                ),
            )
            context["stay_template_html"] = blank_stay(formset=ClaimStayFormSet)
    return render(request, "portal/claim.html", context, status=status)


@require_GET
@member_view
def claim(request, pk: int):
    return _claim_page(request, selectors.member_claim(members=request.members, pk=pk))


@require_POST
@member_view
def claim_resend(request, pk: int):
    """More documents and a note for a returned claim; for one that waited for settlement,
    the stays answered again too (C2: back to submitted)."""
    claim = selectors.member_claim(members=request.members, pk=pk)
    if claim.state not in rules.MEMBER_MAY_RESEND:
        return _claim_page(
            request,
            claim,
            status=409,
            error=_("The claim is now “%(state)s”: nothing can be added to it.")
            % {"state": rules.state_label(claim.state)},
        )
    refused = pages.resend(request, claim=claim, actor=None)
    if refused is not None:
        status, extra = refused
        return _claim_page(request, claim, status=status, **extra)
    return redirect(reverse("portal:claim", args=[claim.pk]) + "?sent=1")


@require_GET
@never_cache
@member_view
def claim_document(request, pk: int, doc_pk: int):
    """A document of the member's own claim, shown in the browser (SPEC S5)."""
    document = selectors.member_document(members=request.members, claim_pk=pk, pk=doc_pk)
    return stored_response(
        request, document.file, actor=None, member=document.claim.member, inline=True
    )
