"""补助审核 (SPEC C2, C3, C6, B-X1, B-X2): the claims queue of the user's scope, a claim's
page with the calculator's answer of now, its documents, signals and history, and the
reviewer's actions. Every action is one service call; a refusal (ClaimError) is shown on
the claim's page in the active language."""

import re
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from huzhu.accounts import roles
from huzhu.calcfront.pages import blank_stay
from huzhu.claims import pages, recovery, review, rules, selectors, services
from huzhu.claims.forms import ClaimStayFormSet, stays_initial
from huzhu.claims.models import ClaimState, RecoveryMethod
from huzhu.console.access import require, staff_view, unit_filter
from huzhu.console.views_enrollment import _int, _years
from huzhu.console.views_jobs import serve_stored
from huzhu.policy import codes
from huzhu.policy.selectors import current_policies
from huzhu.years import scheme_year

S = ClaimState

# Shown in the page (thumbnails, the viewer, the browser's PDF reader); anything else (HEIC,
# which browsers do not show) is a download. The type is the one found from the content
# when the file was stored (SPEC S5), sent with nosniff.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
STATE_CHOICES = ("", "all", *S.values)


AMOUNT = re.compile(r"\d{1,8}(\.\d{1,2})?")


def _amount(value: str | None) -> Decimal | None:
    """A bound of the amount filter: yuan, up to the fen; anything else is no bound."""
    text = (value or "").strip()
    return Decimal(text) if AMOUNT.fullmatch(text) else None


def _filters(request) -> tuple[selectors.QueueFilters, dict]:
    """The queue's filters from the query string; anything unknown is left out, a unit
    outside the user's scope is a 404 (SPEC S1)."""
    get = request.GET
    state = get.get("state", "")
    if state not in STATE_CHOICES:
        state = ""
    states = selectors.REVIEW_STATES if state == "" else () if state == "all" else (S(state).value,)
    benefit = get.get("benefit", "")
    if benefit not in codes.BENEFITS:
        benefit = ""
    unit = unit_filter(request)
    age = get.get("age", "")
    if age not in selectors.AGES:
        age = ""
    year = scheme_year(get.get("year"))
    amount_min, amount_max = _amount(get.get("min")), _amount(get.get("max"))
    filters = selectors.QueueFilters(
        states=states,
        benefit=benefit,
        unit=unit,
        age=age,
        amount_min=amount_min,
        amount_max=amount_max,
        year=year,
    )
    shown = {
        "state": state,
        "benefit": benefit,
        "unit": unit.pk if unit else "",
        "age": age,
        "min": "" if amount_min is None else amount_min,
        "max": "" if amount_max is None else amount_max,
        "year": year or "",
    }
    return filters, shown


@require_GET
@staff_view
@require(roles.can_read_claims)
def claims(request):
    filters, shown = _filters(request)
    page = selectors.queue_page(
        user=request.user, filters=filters, after=_int(request.GET.get("after"))
    )
    return render(
        request,
        "console/claims/queue.html",
        {
            "page": page,
            "shown": shown,
            "query": urlencode(shown),
            "states": [(s.value, s.label) for s in S],
            "benefits": list(codes.BENEFIT_LABELS.items()),
            "units": selectors.organizing_units(user=request.user),
            "ages": [
                ("week", "≤7"),
                ("month", "8–30"),
                ("older", ">30"),
            ],
            "years": _years(),
            "second_tab": roles.can_second_approve(request.user.role),
        },
    )


@require_GET
@staff_view
@require(roles.can_read_claims)
def claim(request, pk: int):
    return _claim_page(request, selectors.claim_for(user=request.user, pk=pk))


def _claim_page(request, found, *, status: int = 200, **extra):
    policy = current_policies().get(found.year)
    stays = list(found.stays.all())
    trial, trial_error = review.current_trial(found)
    role = request.user.role
    may_review = roles.can_review_claims(role)
    documents = list(found.documents.select_related("file"))
    return render(
        request,
        "console/claims/claim.html",
        {
            "claim": found,
            "member": found.member,
            "benefit_label": codes.BENEFIT_LABELS.get(found.benefit, found.benefit),
            "state_label": rules.state_label(found.state),
            "facts": review.fact_lines(found, policy),
            "stays": review.stay_views(found, stays, policy),
            "exclusion_options": review.exclusion_options(found.benefit, policy),
            "claim_exclusions": found.facts.get("exclusions", []),
            "documents": [
                {
                    "document": d,
                    "image": d.file.content_type in IMAGE_TYPES,
                    "inline": d.file.content_type in INLINE_TYPES,
                }
                for d in documents
            ],
            "trial": trial,
            "trial_error": trial_error,
            "decisions": _labelled_decisions(found),
            "events": _labelled_events(found),
            "others": _labelled_others(request.user, found),
            "signals": services.claim_signals(found) if roles.can_see_claim_signals(role) else [],
            "may_start": may_review and found.state == S.SUBMITTED,
            "may_decide": may_review and found.state == S.IN_REVIEW,
            "may_second": roles.can_second_approve(role) and found.state == S.AWAITING_SECOND,
            "may_recover": may_review and found.state == S.PAID,
            "recovery_methods": RecoveryMethod.choices,
            "recoveries": list(found.recoveries.order_by("opened_at", "pk")),
            "needs_second_from": rules.SECOND_APPROVAL_FROM,
            **_resend_context(request, found, extra),
        },
        status=status,
    )


def _resend_context(request, found, extra: dict) -> dict:
    """A union clerk sends more for a returned claim on the member's behalf (C1, C2)."""
    may = roles.can_submit_claims(request.user.role) and found.state in rules.MEMBER_MAY_RESEND
    if not may:
        return {"may_resend": False}
    context = {
        "may_resend": True,
        "note_chars": pages.NOTE_CHARS,
        "document_inputs": pages.document_inputs(found.benefit),
        **extra,
    }
    if pages.asks_stays(found):
        context.setdefault(
            "stays",
            ClaimStayFormSet(
                prefix="stay", initial=stays_initial(found.facts, pages.claim_details(found))
            ),
        )
        context["stay_template_html"] = blank_stay(formset=ClaimStayFormSet)
    return context


@require_POST
@staff_view
@require(roles.can_submit_claims)
def claim_resend(request, pk: int):
    """More documents, a note, and for a claim that waited for settlement its stays, sent by
    a union clerk for the member (the member can do the same in the portal)."""
    found = selectors.claim_for(user=request.user, pk=pk)
    if found.state not in rules.MEMBER_MAY_RESEND:
        messages.error(
            request,
            _("The claim is now “%(state)s”: nothing can be added to it.")
            % {"state": rules.state_label(found.state)},
        )
        return redirect("console:claim", pk=found.pk)
    refused = pages.resend(request, claim=found, actor=request.user)
    if refused is not None:
        status, context = refused
        error = context.pop("error", "")
        return _claim_page(request, found, status=status, resend_error=error, **context)
    messages.success(request, _("Sent for the member: the claim is submitted again."))
    return redirect("console:claim", pk=found.pk)


STEP_LABELS = {
    "estimate": _lazy("estimate at submission"),
    "approve": _lazy("first approval"),
}


# The calculator's decision codes (SPEC §10), in the words of the calculator's result.
OUTCOME_LABELS = {
    "approved": _lazy("Payable"),
    "rejected": _lazy("Nothing payable"),
    "needs_settlement": _lazy("Settle with medical insurance first"),
}


def _labelled_decisions(found) -> list:
    decisions = list(found.decisions.select_related("policy_version", "decided_by"))
    for decision in decisions:
        decision.step_label = STEP_LABELS.get(decision.step) or rules.state_label(decision.step)
        outcome = decision.answer.get("decision", "")
        decision.outcome_label = OUTCOME_LABELS.get(outcome, outcome)
    return decisions


def _labelled_events(found) -> list:
    events = list(found.events.all())
    for event in events:
        event.from_label = rules.state_label(event.from_state) if event.from_state else ""
        event.to_label = rules.state_label(event.to_state)
        # services._label writes "member:<pk>" for the member acting in the portal.
        member_acted = event.actor_id is None and event.actor_label.startswith("member:")
        event.who = _("the member") if member_acted else event.actor_label
    return events


def _labelled_others(user, found) -> list:
    return [
        (other, codes.BENEFIT_LABELS.get(other.benefit, other.benefit))
        for other in selectors.other_claims_of_year(user=user, claim=found)
    ]


@require_GET
@staff_view
@require(roles.can_read_claims)
def claim_document(request, pk: int, doc_pk: int):
    """A claim's document (SPEC S5): to those whose scope holds the claim, 404 to everyone
    else and for a document of another claim. Images and PDF open in the page; anything
    else is a download. The auditor's view is logged like every page of theirs."""
    document = selectors.document_for(user=request.user, claim_pk=pk, pk=doc_pk)
    return serve_stored(request, document.file, inline=document.file.content_type in INLINE_TYPES)


def _act(request, pk: int, step, done: str):
    """Run one service step on a claim in scope; its refusal becomes a message on the
    claim's page. A second click of the same button finds the claim changed and is refused
    by the service's state check, so nothing is done twice."""
    found = selectors.claim_for(user=request.user, pk=pk)
    try:
        step(found)
    except services.ClaimError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("console:claim", pk=found.pk)


def _reason(request) -> str:
    return request.POST.get("reason", "")


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_start_review(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.start_review(claim_id=c.pk, actor=request.user, request=request),
        _("Review started."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_exclusions(request, pk: int):
    """B-X1, B-X2: the ticked exclusions replace those recorded (per stay for a
    hospitalization claim)."""
    return _act(
        request,
        pk,
        lambda c: services.record_exclusions(
            claim_id=c.pk,
            actor=request.user,
            exclusions=review.chosen_exclusions(c, request.POST),
            reason=_reason(request),
            request=request,
        ),
        _("Exclusions recorded."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_return(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.return_claim(
            claim_id=c.pk, actor=request.user, reason=_reason(request), request=request
        ),
        _("The claim was returned for more information."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_reject(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.reject(
            claim_id=c.pk, actor=request.user, reason=_reason(request), request=request
        ),
        _("The claim was rejected."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_settlement(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.needs_settlement(
            claim_id=c.pk, actor=request.user, reason=_reason(request), request=request
        ),
        _("The member is asked to settle with the medical insurance first."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_approve(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.approve(
            claim_id=c.pk, actor=request.user, note=_reason(request), request=request
        ),
        _("The claim was approved."),
    )


@require_POST
@staff_view
@require(roles.can_second_approve)
def claim_second_approve(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.second_approve(
            claim_id=c.pk, actor=request.user, note=_reason(request), request=request
        ),
        _("Second approval given."),
    )


@require_POST
@staff_view
@require(roles.can_second_approve)
def claim_send_back(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: services.send_back_to_review(
            claim_id=c.pk, actor=request.user, reason=_reason(request), request=request
        ),
        _("The claim was sent back for another review."),
    )


@require_POST
@staff_view
@require(roles.can_review_claims)
def claim_recover(request, pk: int):
    """B-X3: exclusions found after payment; what the year's entitlement no longer covers
    becomes a recovery case (reason and method required)."""
    found = selectors.claim_for(user=request.user, pk=pk)
    try:
        case = recovery.open_recovery(
            claim_id=found.pk,
            actor=request.user,
            exclusions=review.chosen_exclusions(found, request.POST),
            reason=_reason(request),
            method=request.POST.get("method", ""),
            request=request,
        )
    except services.ClaimError as refused:
        messages.error(request, refused.message)
    else:
        if case is None:
            messages.success(
                request,
                _(
                    "The exclusions were recorded; the year's entitlement is unchanged, "
                    "nothing is owed."
                ),
            )
        else:
            messages.success(
                request,
                _("A recovery of %(amount)s yuan was opened.") % {"amount": case.amount},
            )
    return redirect("console:claim", pk=found.pk)
