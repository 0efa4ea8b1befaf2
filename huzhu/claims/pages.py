"""A new claim in two steps, shared by the member portal and the console (SPEC C1).

Step 1 asks the calculator's questions and estimates (`services.estimate`): a claim that
cannot be made at all (B0) is refused here, before any document is asked for. Step 2
shows the estimate and asks for the documents; the answers of step 1 travel with it
signed, so that what is submitted is what was estimated. "Submit" keeps the files and the
claim in one transaction: a refused file or a missing document keeps nothing.
"""

import datetime
from dataclasses import dataclass

from django.core import signing
from django.http import Http404
from django.utils.translation import gettext as _

from huzhu.calcfront.pages import blank_stay
from huzhu.claims import rules, services
from huzhu.claims.documents import DocumentRefused, kind_label, uploads_by_kind, with_documents
from huzhu.claims.forms import (
    ClaimForm,
    ClaimStayFormSet,
    claim_facts,
    claim_facts_stays,
    stays_initial,
)
from huzhu.claims.models import Claim, ClaimState, DocumentKind
from huzhu.enrollment.models import Enrollment
from huzhu.members.models import Member
from huzhu.policy.selectors import current_policies

SALT = "huzhu.claims.answers"
# Long enough to photograph a pile of invoices, short enough that answers go stale.
MAX_AGE = 4 * 60 * 60
OPTIONAL_DOCUMENTS = (DocumentKind.OTHER,)


@dataclass(frozen=True)
class DocumentInput:
    kind: str
    label: str
    required: bool
    error: str = ""


def enrollment_years(members: list[Member]) -> list[int]:
    """The years a claim may be asked for: those the members have an enrollment of (the
    eligibility check then says what is missing: payment, coverage)."""
    return sorted(
        set(Enrollment.objects.filter(member__in=members).values_list("year", flat=True)),
        reverse=True,
    )


def _illnesses(years: list[int]) -> list[str]:
    policies = current_policies()
    for year in years:
        policy = policies.get(year)
        if policy is not None and policy.critical_illness is not None:
            return [i.name for i in policy.critical_illness.illnesses]
    return []


def form_initial(facts: dict) -> dict:
    """The step-1 answers of a claim's facts (to answer again, or to submit again)."""
    initial: dict = {"year": facts.get("year"), "benefit": facts.get("benefit")}
    if facts.get("benefit") == "critical_illness":
        hospital = facts.get("hospital") or {}
        initial.update(
            {
                "illness": facts.get("illness"),
                "diagnosed_on": facts.get("diagnosed_on"),
                "first_diagnosed_on": facts.get("first_diagnosed_on"),
                "hospital_in_changzhou": "yes" if hospital.get("in_changzhou", True) else "no",
                "hospital_grade": str(hospital.get("grade", 3)),
            }
        )
    elif facts.get("benefit") == "work_injury":
        initial.update(
            {
                "injured_on": facts.get("injured_on"),
                "grade": str(facts.get("grade")),
                "certificate_level": facts.get("certificate_level"),
            }
        )
    return initial


def claim_details(claim: Claim) -> list[services.StayDetails]:
    return [
        services.StayDetails(
            discharged_on=s.discharged_on, hospital=s.hospital, invoice_number=s.invoice_number
        )
        for s in claim.stays.all()
    ]


def _actor_key(actor) -> str:
    # A token made in the portal is no good in the console, nor one user's for another.
    return f"user:{actor.pk}" if actor is not None else "member"


def _sign(*, member: Member, actor, facts: dict, details, resubmission_of: int | None) -> str:
    return signing.dumps(
        {
            "member": member.pk,
            "actor": _actor_key(actor),
            "facts": facts,
            "stays": [
                [
                    d.discharged_on.isoformat() if d.discharged_on else "",
                    d.hospital,
                    d.invoice_number,
                ]
                for d in details
            ],
            "resubmission_of": resubmission_of,
        },
        salt=SALT,
        compress=True,
    )


class StaleAnswers(Exception):
    pass


def _unsign(token: str, *, members: list[Member], actor) -> tuple[Member, dict, list, int | None]:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        member = next(m for m in members if m.pk == data["member"])
        if data["actor"] != _actor_key(actor):
            raise StaleAnswers
        details = [
            services.StayDetails(
                discharged_on=datetime.date.fromisoformat(day) if day else None,
                hospital=hospital,
                invoice_number=invoice,
            )
            for day, hospital, invoice in data["stays"]
        ]
        return member, data["facts"], details, data["resubmission_of"]
    except (signing.BadSignature, StopIteration, KeyError, TypeError, ValueError) as exc:
        raise StaleAnswers from exc


def _resubmission(raw, members: list[Member]) -> Claim | None:
    """The rejected claim of one of these members that a new claim submits again; 404 for
    anything else."""
    if raw in (None, ""):
        return None
    text = str(raw)
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise Http404
    claim = Claim.objects.filter(
        pk=int(text), member__in=members, state=ClaimState.REJECTED
    ).first()
    if claim is None:
        raise Http404
    return claim


def _chosen(raw, members: list[Member]) -> Member:
    if len(members) == 1 and raw in (None, ""):
        return members[0]
    found = next((m for m in members if str(m.pk) == str(raw)), None)
    if found is None:
        raise Http404  # only the signed-in members' own records
    return found


def document_inputs(benefit: str, errors: dict[str, str] | None = None) -> list[DocumentInput]:
    errors = errors or {}
    required = rules.required_documents(benefit)
    return [
        DocumentInput(kind, kind_label(kind), kind in required, errors.get(kind, ""))
        for kind in (*required, *OPTIONAL_DOCUMENTS)
    ]


def _add_claim_error(form: ClaimForm, exc: services.ClaimError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def new_claim(request, *, members: list[Member], actor) -> dict | Claim:
    """The page's context for either step, or the submitted claim."""
    years = enrollment_years(members)
    illnesses = _illnesses(years)
    post = request.POST if request.method == "POST" else None
    if post is None:
        raw = request.GET.get("resubmit")
    else:
        # On submitting, the claim submitted again is the one signed with the answers.
        raw = None if post.get("action") == "submit" else post.get("resubmit")
    resubmission = _resubmission(raw, members)
    base = {
        "claim_questions": True,
        "years": years,
        "choose_member": len(members) > 1,
        "claim_members": members,
        "stay_template_html": blank_stay(formset=ClaimStayFormSet),
    }
    if post is not None and post.get("action") == "submit":
        return _submit(request, members=members, actor=actor, years=years, base=base)
    if post is not None and post.get("action") == "edit":
        return _edit(request, members=members, actor=actor, years=years, base=base)
    if post is None:
        initial: dict = {}
        stays: list[dict] = [{}]
        if resubmission is not None:
            initial = form_initial(resubmission.facts)
            stays = stays_initial(resubmission.facts, claim_details(resubmission)) or [{}]
        form = ClaimForm(years=years, illnesses=illnesses, initial=initial)
        return {
            **base,
            "step": 1,
            "form": form,
            "stays": ClaimStayFormSet(prefix="stay", initial=stays),
            "resubmission": resubmission,
            "chosen": resubmission.member_id if resubmission else None,
        }
    member = _chosen(post.get("member"), members)
    if resubmission is not None and resubmission.member_id != member.pk:
        raise Http404
    return _estimate(
        request,
        member=member,
        actor=actor,
        years=years,
        illnesses=illnesses,
        base={**base, "resubmission": resubmission, "chosen": member.pk},
    )


def _estimate(request, *, member, actor, years, illnesses, base) -> dict:
    form = ClaimForm(request.POST, years=years, illnesses=illnesses)
    stays = ClaimStayFormSet(request.POST, prefix="stay")
    damaged = stays.is_damaged()
    if damaged:
        stays = ClaimStayFormSet(prefix="stay", initial=[{}])
    page = {**base, "step": 1, "form": form, "stays": stays, "stays_damaged": damaged}
    if not form.is_valid():
        return page
    hospitalization = form.cleaned_data["benefit"] == "hospitalization"
    if hospitalization and (damaged or not stays.is_valid()):
        return page
    facts, details = claim_facts(form, stays)
    try:
        answer = services.estimate(member, facts)
    except services.ClaimError as exc:
        _add_claim_error(form, exc)
        return page
    resubmission = base["resubmission"]
    token = _sign(
        member=member,
        actor=actor,
        facts=facts,
        details=details,
        resubmission_of=resubmission.pk if resubmission else None,
    )
    return _step_two(base, member=member, facts=facts, answer=answer, token=token)


def _step_two(base, *, member, facts, answer, token, error="", errors=None) -> dict:
    return {
        **base,
        "step": 2,
        "member": member,
        "facts": facts,
        "result": answer,
        "answers": token,
        "documents": document_inputs(facts["benefit"], errors),
        "error": error,
    }


def _stale(base, years) -> dict:
    return {
        **base,
        "step": 1,
        "form": ClaimForm(years=years, illnesses=_illnesses(years)),
        "stays": ClaimStayFormSet(prefix="stay", initial=[{}]),
        "resubmission": None,
        "stale": True,
        "status": 400,
    }


def _answer_again(base, years, facts, details, **extra) -> dict:
    return {
        **base,
        "step": 1,
        "form": ClaimForm(initial=form_initial(facts), years=years, illnesses=_illnesses(years)),
        "stays": ClaimStayFormSet(prefix="stay", initial=stays_initial(facts, details) or [{}]),
        **extra,
    }


@dataclass(frozen=True)
class Signed:
    """Step 1's answers as they came back signed, and the page's context with them."""

    member: Member
    facts: dict
    details: list[services.StayDetails]
    base: dict


def _signed(request, *, members, actor, base) -> Signed:
    member, facts, details, resubmission_pk = _unsign(
        request.POST.get("answers", ""), members=members, actor=actor
    )
    resubmission = _resubmission(resubmission_pk, [member]) if resubmission_pk else None
    base = {**base, "resubmission": resubmission, "chosen": member.pk}
    return Signed(member, facts, details, base)


def _edit(request, *, members, actor, years, base) -> dict:
    """Back from step 2 to the questions, answered as they were."""
    try:
        signed = _signed(request, members=members, actor=actor, base=base)
    except StaleAnswers:
        return _stale(base, years)
    return _answer_again(signed.base, years, signed.facts, signed.details)


def _submit(request, *, members, actor, years, base) -> dict | Claim:
    try:
        signed = _signed(request, members=members, actor=actor, base=base)
    except StaleAnswers:
        return _stale(base, years)
    member, facts, details, base = signed.member, signed.facts, signed.details, signed.base
    resubmission = base["resubmission"]
    try:
        answer = services.estimate(member, facts)
    except services.ClaimError as exc:
        # Something changed since step 1 (a revocation, a new policy): answer again.
        return _answer_again(base, years, facts, details, refusal=exc.message)
    token = request.POST.get("answers", "")
    offered = [d.kind for d in document_inputs(facts["benefit"])]
    files = uploads_by_kind(request.FILES, offered)
    enrollment = Enrollment.objects.get(member=member, year=int(facts["year"]))
    try:
        return with_documents(
            files=files,
            unit_path=enrollment.unit_path,
            actor=actor,
            request=request,
            then=lambda documents: services.submit_claim(
                member=member,
                facts=facts,
                documents=documents,
                stays=details,
                actor=actor,
                resubmission_of=resubmission,
                request=request,
            ),
        )
    except DocumentRefused as exc:
        error, errors = exc.message, {exc.field: exc.message}
    except services.ClaimError as exc:
        missing = rules.missing_documents(facts["benefit"], files)
        error, errors = exc.message, {kind: _("Add this document.") for kind in missing}
    return _step_two(
        base, member=member, facts=facts, answer=answer, token=token, error=error, errors=errors
    )


NOTE_CHARS = 500


def asks_stays(claim: Claim) -> bool:
    """A claim that waited for settlement is sent back with its stays answered again."""
    return claim.state == ClaimState.NEEDS_SETTLEMENT and claim.benefit == "hospitalization"


def resend(request, *, claim: Claim, actor) -> tuple[int, dict] | None:
    """More documents and a note for a returned claim; for one that waited for settlement,
    the stays answered again too (C2: back to submitted). Sent by the member (`actor` None)
    or by a union clerk for the member. None when sent; else the status and what the page
    shows (the refusal, the stays or document inputs with their errors)."""
    note = " ".join(request.POST.get("note", "").split())[:NOTE_CHARS]
    facts: dict | None = None
    details: list[services.StayDetails] = []
    if asks_stays(claim):
        stays = ClaimStayFormSet(request.POST, prefix="stay")
        if stays.is_damaged() or not stays.is_valid():
            return 400, {"stays": stays}
        facts, details = claim_facts_stays(claim.facts, stays)
    offered = [d.kind for d in document_inputs(claim.benefit)]
    files = uploads_by_kind(request.FILES, offered)
    if not files and not note and facts is None:
        return 400, {"error": _("Add the documents asked for, or a note saying what you send.")}
    try:
        with_documents(
            files=files,
            unit_path=claim.unit_path,
            actor=actor,
            request=request,
            already=claim.documents.count(),
            then=lambda documents: services.resend(
                claim_id=claim.pk,
                member=claim.member,
                actor=actor,
                facts=facts,
                documents=documents,
                stays=details,
                note=note,
                request=request,
            ),
        )
    except DocumentRefused as exc:
        inputs = document_inputs(claim.benefit, {exc.field: exc.message})
        return 400, {"error": exc.message, "document_inputs": inputs}
    except services.ClaimError as exc:
        return 400, {"error": exc.message}
    return None
