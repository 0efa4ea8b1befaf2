"""Claims from submission to decision (SPEC B0, C1–C3, C5, B-H4, B-X3).

Every change of state goes through `move`, which checks the transition, writes the claim's event
(who, when, why, and what the member is told) and the audit row, and tells the member
after the transaction commits. Every amount is decided by the calculator with
`already_paid` read from the benefit ledger (`already_paid`), under a lock on the member,
so two decisions for one member never both read the same "already paid".
"""

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.models import User
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.calcfront.answers import answer_json
from huzhu.claims import notify, rules
from huzhu.claims.models import (
    BenefitEntry,
    BenefitEntryKind,
    Claim,
    ClaimDecision,
    ClaimDocument,
    ClaimEvent,
    ClaimState,
    ClaimStay,
    DocumentKind,
)
from huzhu.enrollment.models import Authorization, Enrollment
from huzhu.enrollment.models import State as EnrollmentState
from huzhu.files.models import StoredFile
from huzhu.members.models import Member
from huzhu.money import format_yuan
from huzhu.policy.calculator import check_codes, decide
from huzhu.policy.cases import CaseError, parse_case
from huzhu.policy.decision import Decision
from huzhu.policy.document import Policy
from huzhu.policy.selectors import current_policies

S = ClaimState
ZERO = Decimal(0)
ClaimError = rules.ClaimError


@dataclass(frozen=True)
class StayDetails:
    """What a hospitalization claim says of each stay beyond the calculator's facts."""

    discharged_on: datetime.date | None = None
    hospital: str = ""
    invoice_number: str = ""


# --- the benefit ledger (SPEC §14, B-H4) ---------------------------------------------------


def already_paid(
    *, member_id: int, year: int, benefit: str, injured_on: datetime.date | None = None
) -> Decimal:
    """What the benefit ledger holds as granted for this member, year and benefit (for a
    work injury: this injury): the only source of `already_paid`."""
    entries = BenefitEntry.objects.filter(member_id=member_id, year=year, benefit=benefit)
    if benefit == "work_injury":
        entries = entries.filter(injured_on=injured_on)
    return entries.aggregate(total=Sum("amount"))["total"] or ZERO


def book(*, claim: Claim, amount: Decimal, kind: str, reason: str, actor: User | None) -> None:
    if amount:
        BenefitEntry.objects.create(
            member_id=claim.member_id,
            year=claim.year,
            benefit=claim.benefit,
            injured_on=claim.injured_on,
            claim=claim,
            kind=kind,
            amount=amount,
            reason=reason[:500],
            recorded_at=timezone.now(),
            recorded_by=actor,
        )


def granted_for(claim: Claim) -> Decimal:
    return BenefitEntry.objects.filter(claim=claim).aggregate(total=Sum("amount"))["total"] or ZERO


# --- facts and eligibility (SPEC §10, B0) --------------------------------------------------


def parse_facts(data: dict, policy: Policy | None) -> dict:
    """The facts of a claim as the calculator reads them, `already_paid` left out (it is the
    benefit ledger's); raises ClaimError naming the field."""
    data = {k: v for k, v in data.items() if k != "already_paid"}
    try:
        case = parse_case(data)
        check_codes(case, policy)
    except CaseError as exc:
        raise ClaimError("facts", f"{exc.field}: {exc.message}", exc.field) from exc
    if case.benefit == "hospitalization" and not case.episodes:
        raise ClaimError("facts", _("Add at least one hospital stay."), "episodes")
    return data


def covered_until(enrollment: Enrollment, policy: Policy) -> datetime.date:
    """The last day a paid enrollment covers: the coverage period's end, or the day before a
    revocation after payment takes effect (SPEC §5, the month after revocation)."""
    end = policy.coverage.end
    if not enrollment.authorizations.filter(active=True).exists():
        ended = enrollment.authorizations.exclude(ended_on=None).order_by("-ended_on").first()
        if ended is not None and ended.ended_on is not None:
            end = min(end, ended.ended_on - datetime.timedelta(days=1))
    return end


def check_eligibility(member: Member, facts: dict) -> tuple[Enrollment, Policy]:
    """SPEC B0 (and P3): a year with benefit rules, the member's enrollment of that year
    paid, the event inside the coverage period. Raises ClaimError saying why not."""
    year = int(facts["year"])
    policy = current_policies().get(year)
    if policy is None or not policy.has_benefits:
        raise ClaimError(
            "no_policy_for_year",
            _("The %(year)s scheme has no benefit rules: no claim can be made for it.")
            % {"year": year},
            "year",
        )
    enrollment = Enrollment.objects.filter(member=member, year=year).first()
    if enrollment is None:
        raise ClaimError(
            "not_enrolled",
            _("You are not enrolled in the %(year)s scheme: only paid members can claim.")
            % {"year": year},
            "year",
        )
    if enrollment.state != EnrollmentState.PAID:
        raise ClaimError(
            "not_paid",
            _(
                "Your %(year)s enrollment is “%(state)s”, not paid: only a member whose fee "
                "is paid can claim."
            )
            % {"year": year, "state": EnrollmentState(enrollment.state).label},
            "year",
        )
    day = rules.event_day(facts)
    end = covered_until(enrollment, policy)
    if facts["benefit"] == "hospitalization":
        days = [datetime.date.fromisoformat(e["admitted_on"]) for e in facts["episodes"]]
        inside = any(policy.coverage.start <= d <= end for d in days)
    else:
        inside = policy.coverage.start <= day <= end
    if not inside:
        raise ClaimError(
            "outside_coverage_period",
            _(
                "The event (%(day)s) is outside the coverage period "
                "%(start)s to %(end)s: the scheme pays nothing for it."
            )
            % {"day": day.isoformat(), "start": policy.coverage.start.isoformat(), "end": end},
            "episodes" if facts["benefit"] == "hospitalization" else "",
        )
    return enrollment, policy


# --- deciding ------------------------------------------------------------------------------


def earlier_episodes(*, member_id: int, year: int, exclude: int | None = None) -> list[dict]:
    """The stays of the member's other hospitalization claims of the year that make the
    year's total (B-H4): granted claims, and claims rejected only because the total was
    still under the lowest tier (a later stay may lift it), oldest first."""
    below = (
        ClaimDecision.objects.filter(
            claim__member_id=member_id,
            claim__year=year,
            claim__state=S.REJECTED,
            step=S.REJECTED,
            answer__reasons=["below_threshold"],
        )
        .exclude(claim__resubmissions__isnull=False)
        .values("claim")
    )
    claims = (
        Claim.objects.filter(member_id=member_id, year=year, benefit="hospitalization")
        .filter(Q(state__in=rules.GRANTED) | Q(pk__in=below))
        .exclude(pk=exclude or 0)
        .order_by("submitted_at", "pk")
        .values_list("facts", flat=True)
    )
    return [episode for facts in claims for episode in facts["episodes"]]


def full_case(claim: Claim, facts: dict | None = None) -> dict:
    """The §10 case the claim is decided on: its facts, the stays of the year's other
    counted claims before its own (B-H4), and `already_paid` from the benefit ledger. For a
    claim already granted, its own grant is not "already paid" to itself."""
    facts = dict(facts if facts is not None else claim.facts)
    paid = already_paid(
        member_id=claim.member_id,
        year=claim.year,
        benefit=claim.benefit,
        injured_on=claim.injured_on,
    )
    if claim.pk:
        paid -= granted_for(claim)
    facts["already_paid"] = format_yuan(paid)
    if claim.benefit == "hospitalization":
        earlier = earlier_episodes(member_id=claim.member_id, year=claim.year, exclude=claim.pk)
        facts["episodes"] = earlier + list(facts["episodes"])
    return facts


def decide_case(case_data: dict) -> tuple[Decision, Policy | None]:
    policy = current_policies().get(int(case_data["year"]))
    case = parse_case(case_data)
    return decide(case, policy), policy


def estimate(member: Member, facts: dict) -> dict:
    """SPEC C1: the answer a member sees before submitting (§10 JSON). Raises ClaimError
    when the claim could not be made at all (B0)."""
    policy = current_policies().get(int(facts.get("year") or 0))
    facts = parse_facts(facts, policy)
    enrollment, _policy = check_eligibility(member, facts)
    draft = Claim(
        member=member,
        year=enrollment.year,
        benefit=facts["benefit"],
        facts=facts,
        injured_on=_injured_on(facts),
    )
    decision, _unused = decide_case(full_case(draft))
    return answer_json(decision)


def _injured_on(facts: dict) -> datetime.date | None:
    if facts["benefit"] != "work_injury":
        return None
    return datetime.date.fromisoformat(facts["injured_on"])


def pin_decision(*, claim: Claim, step: str, actor: User | None) -> Decision:
    """Decide the claim now and keep the calculation (§14: the policy version, the case
    and the explanation lines)."""
    case = full_case(claim)
    decision, _policy = decide_case(case)
    ClaimDecision.objects.create(
        claim=claim,
        step=step,
        policy_version_id=decision.policy_version_id,
        case=case,
        answer=answer_json(decision),
        decided_by=actor,
        decided_at=timezone.now(),
    )
    return decision


def latest_decision(claim: Claim) -> ClaimDecision | None:
    return claim.decisions.order_by("-decided_at", "-pk").first()


# --- changes -------------------------------------------------------------------------------


def _label(actor: User | None, member: Member | None = None) -> str:
    if actor is not None:
        return actor.get_username()
    return f"member:{member.pk}" if member is not None else "system"


def move(
    claim: Claim,
    new: str,
    *,
    actor: User | None,
    reason: str = "",
    message: str = "",
    request=None,
    member_acting: bool = False,
) -> ClaimEvent:
    rules.check_transition(claim.state, new)
    old = claim.state
    claim.state = new
    claim.save()
    event = ClaimEvent.objects.create(
        claim=claim,
        from_state=old,
        to_state=new,
        reason=reason[:500],
        message=message[:500],
        actor=actor,
        actor_label=_label(actor, claim.member if member_acting else None),
        at=timezone.now(),
    )
    record_event(
        action=Action.CLAIM_CHANGE,
        actor=actor,
        member=claim.member if member_acting else None,
        target=claim,
        request=request,
        summary=f"#{claim.pk} {old} → {new}",
        data={"from": old, "to": new, "reason": reason[:200]},
    )
    if message:
        notify.after_commit(event)
    return event


def locked_claim(claim_id: int) -> Claim:
    claim = Claim.objects.select_for_update().select_related("member").get(pk=claim_id)
    # Decisions for one member are taken one at a time (B-H4's "already paid").
    Member.objects.select_for_update().filter(pk=claim.member_id).first()
    return claim


def check_state(claim: Claim, *states: str) -> None:
    if claim.state not in states:
        raise ClaimError(
            "state",
            _("The claim is now “%(state)s”: reload the page to see what changed.")
            % {"state": rules.state_label(claim.state)},
        )


def _documents(claim: Claim, documents: Sequence[tuple[str, StoredFile]], actor: User | None):
    """Attach the files to the claim; a file sent again as the same document (twice in one
    form, or resent) is the one the claim holds, not a second copy."""
    now = timezone.now()
    held = set(ClaimDocument.objects.filter(claim=claim).values_list("kind", "file_id"))
    added = []
    for kind, file in documents:
        if (kind, file.pk) in held:
            continue
        held.add((kind, file.pk))
        added.append(
            ClaimDocument(claim=claim, kind=kind, file=file, uploaded_at=now, uploaded_by=actor)
        )
    ClaimDocument.objects.bulk_create(added)


def _kept(details: Sequence[StayDetails], count: int) -> list[tuple]:
    """Each stay's details as they are kept (discharge day, hospital, invoice number): the
    text cleaned and the invoice number folded (C6), one per stay of the facts."""
    found = []
    for index in range(count):
        extra = details[index] if index < len(details) else StayDetails()
        found.append(
            (
                extra.discharged_on,
                rules.stay_text(extra.hospital)[:100],
                rules.invoice_number(extra.invoice_number)[:40],
            )
        )
    return found


def _stays(claim: Claim, facts: dict, details: Sequence[StayDetails]) -> None:
    ClaimStay.objects.filter(claim=claim).delete()
    if claim.benefit != "hospitalization":
        return
    episodes = facts["episodes"]
    rows = [
        ClaimStay(
            claim=claim,
            member_id=claim.member_id,
            index=index,
            admitted_on=datetime.date.fromisoformat(episode["admitted_on"]),
            discharged_on=discharged_on,
            hospital=hospital,
            invoice_number=invoice,
        )
        for index, (episode, (discharged_on, hospital, invoice)) in enumerate(
            zip(episodes, _kept(details, len(episodes)), strict=True)
        )
    ]
    ClaimStay.objects.bulk_create(rows)


# A submission sent again while the first still waits unreviewed (a double click, a
# resent form, two tabs) is that submission, not a second claim (SPEC C1).
REPEAT_WINDOW = datetime.timedelta(hours=4)


def _same_json(a, b) -> bool:
    def dump(value) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)

    return dump(a) == dump(b)


def _same_submission(
    *,
    member: Member,
    facts: dict,
    stays: Sequence[StayDetails],
    actor: User | None,
    resubmission_of: Claim | None,
) -> Claim | None:
    """The claim this submission repeats, if any: the same member, submitter, answers and
    stays, submitted within REPEAT_WINDOW and not yet taken into review. Read under the
    member's lock, so two requests at once make one claim."""
    recent = Claim.objects.filter(
        member=member,
        submitted_by=actor,
        resubmission_of=resubmission_of,
        benefit=facts["benefit"],
        state=S.SUBMITTED,
        submitted_at__gte=timezone.now() - REPEAT_WINDOW,
    ).order_by("-submitted_at", "-pk")
    wanted = [list(kept) for kept in _kept(stays, len(facts.get("episodes") or []))]
    for claim in recent[:20]:
        if not _same_json(claim.facts, facts):
            continue
        kept = [[s.discharged_on, s.hospital, s.invoice_number] for s in claim.stays.all()]
        if facts["benefit"] != "hospitalization" or _same_json(kept, wanted):
            return claim
    return None


def submit_claim(
    *,
    member: Member,
    facts: dict,
    documents: Sequence[tuple[str, StoredFile]],
    stays: Sequence[StayDetails] = (),
    actor: User | None = None,
    resubmission_of: Claim | None = None,
    request=None,
) -> Claim:
    """SPEC C1: a member (actor None) or a union clerk (actor) submits a claim. Eligibility
    (B0) and the documents the benefit needs are checked first; the estimate shown is kept."""
    policy = current_policies().get(int(facts.get("year") or 0))
    facts = parse_facts(facts, policy)
    enrollment, _policy = check_eligibility(member, facts)
    missing = rules.missing_documents(facts["benefit"], (kind for kind, _file in documents))
    if missing:
        raise ClaimError(
            "documents",
            _("Add the documents this claim needs: %(missing)s.")
            % {"missing": "、".join(str(DocumentKind(k).label) for k in missing)},
            "documents",
        )
    if (
        resubmission_of is not None
        and not Claim.objects.filter(
            pk=resubmission_of.pk, member=member, state=S.REJECTED
        ).exists()
    ):
        raise ClaimError(
            "resubmission", _("Only a rejected claim of yours can be submitted again.")
        )
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        repeated = _same_submission(
            member=member, facts=facts, stays=stays, actor=actor, resubmission_of=resubmission_of
        )
        if repeated is not None:
            return repeated
        claim = Claim.objects.create(
            member=member,
            enrollment=enrollment,
            year=enrollment.year,
            benefit=facts["benefit"],
            state=S.SUBMITTED,
            facts=facts,
            event_on=rules.event_day(facts),
            injured_on=_injured_on(facts),
            unit_path=enrollment.unit_path,
            organizing_unit_id=enrollment.organizing_unit_id,
            submitted_at=timezone.now(),
            submitted_by=actor,
            resubmission_of=resubmission_of,
        )
        _stays(claim, facts, stays)
        _documents(claim, documents, actor)
        decision = pin_decision(claim=claim, step="estimate", actor=actor)
        claim.estimate = decision.amount
        claim.save(update_fields=["estimate"])
        event = ClaimEvent.objects.create(
            claim=claim,
            to_state=S.SUBMITTED,
            reason=_("Resubmission of claim #%(pk)s") % {"pk": resubmission_of.pk}
            if resubmission_of
            else "",
            message=_("Your claim #%(pk)s was received; we will tell you when it is reviewed.")
            % {"pk": claim.pk},
            actor=actor,
            actor_label=_label(actor, member),
            at=timezone.now(),
        )
        record_event(
            action=Action.CLAIM_SUBMIT,
            actor=actor,
            member=None if actor else member,
            target=claim,
            request=request,
            summary=f"#{claim.pk} {claim.benefit} {format_yuan(claim.estimate)}",
            data={"benefit": claim.benefit, "year": claim.year, "documents": len(documents)},
        )
        notify.after_commit(event)
    return claim


def resend(
    *,
    claim_id: int,
    member: Member | None,
    actor: User | None = None,
    facts: dict | None = None,
    documents: Sequence[tuple[str, StoredFile]] = (),
    stays: Sequence[StayDetails] = (),
    note: str = "",
    request=None,
) -> Claim:
    """A returned claim (or one that waited for settlement) sent back with more information
    (C2: returned → submitted)."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, *rules.MEMBER_MAY_RESEND)
        if facts is not None:
            policy = current_policies().get(claim.year)
            facts = parse_facts(facts, policy)
            if int(facts["year"]) != claim.year or facts["benefit"] != claim.benefit:
                raise ClaimError("facts", _("The year and benefit of a claim cannot change."))
            check_eligibility(claim.member, facts)
            claim.facts = facts
            claim.event_on = rules.event_day(facts)
            claim.injured_on = _injured_on(facts)
            _stays(claim, facts, stays)
        _documents(claim, documents, actor)
        move(
            claim,
            S.SUBMITTED,
            actor=actor,
            reason=note or _("More information sent"),
            request=request,
            member_acting=actor is None,
        )
        decision = pin_decision(claim=claim, step="estimate", actor=actor)
        claim.estimate = decision.amount
        claim.save(update_fields=["estimate"])
    return claim


def start_review(*, claim_id: int, actor: User, request=None) -> Claim:
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.SUBMITTED)
        claim.reviewer = actor
        move(claim, S.IN_REVIEW, actor=actor, reason=_("Review started"), request=request)
    return claim


def record_exclusions(
    *,
    claim_id: int,
    actor: User,
    exclusions: Sequence[str] | dict[int, Sequence[str]],
    reason: str,
    request=None,
) -> Claim:
    """SPEC B-X1, B-X2: the reviewer's findings written into the claim's facts: a list of
    codes for critical illness and work injury, codes per stay index for hospitalization.
    On a paid claim this is the finding after payment (B-X3): use `open_recovery`."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.IN_REVIEW)
        write_exclusions(claim, exclusions)
        record_event(
            action=Action.CLAIM_FACTS,
            actor=actor,
            target=claim,
            request=request,
            summary=f"#{claim.pk}",
            data={"exclusions": exclusions_json(exclusions), "reason": reason[:200]},
        )
        note(claim, actor=actor, reason=reason or _("Exclusions recorded"))
    return claim


def note(claim: Claim, *, actor: User | None, reason: str) -> ClaimEvent:
    """A finding or an act kept in the claim's history that leaves its state as it is."""
    return ClaimEvent.objects.create(
        claim=claim,
        from_state=claim.state,
        to_state=claim.state,
        reason=reason[:500],
        actor=actor,
        actor_label=_label(actor),
        at=timezone.now(),
    )


def exclusions_json(exclusions) -> object:
    if isinstance(exclusions, dict):
        return {str(k): list(v) for k, v in exclusions.items()}
    return list(exclusions)


def write_exclusions(claim: Claim, exclusions) -> None:
    facts = dict(claim.facts)
    if claim.benefit == "hospitalization":
        if not isinstance(exclusions, dict):
            raise ClaimError("exclusions", _("Record exclusions per hospital stay."))
        episodes = [dict(e) for e in facts["episodes"]]
        for index, codes in exclusions.items():
            if not 0 <= int(index) < len(episodes):
                raise ClaimError("exclusions", _("No such hospital stay."))
            episodes[int(index)]["exclusions"] = list(dict.fromkeys(codes))
        facts["episodes"] = episodes
    else:
        facts["exclusions"] = list(dict.fromkeys(exclusions))
    claim.facts = parse_facts(facts, current_policies().get(claim.year))
    claim.save(update_fields=["facts", "updated_at"])


def return_claim(*, claim_id: int, actor: User, reason: str, request=None) -> Claim:
    """C2: in_review → returned; the reason is what the member is asked for."""
    reason = required_reason(reason)
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.IN_REVIEW)
        move(
            claim,
            S.RETURNED,
            actor=actor,
            reason=reason,
            message=_("Claim #%(pk)s needs more information: %(reason)s")
            % {"pk": claim.pk, "reason": reason},
            request=request,
        )
    return claim


def required_reason(reason: str, message: str = "") -> str:
    """A reason a person must give (to return, reject, recover, put back): on one line, at
    most 500 characters; ClaimError naming `reason` when there is none."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ClaimError("reason", message or _("Give the reason."), "reason")
    return reason[:500]


def reject(*, claim_id: int, actor: User, reason: str, request=None) -> Claim:
    """C2, C3: in_review → rejected with a reason the member sees. The decision of that
    moment is kept: a claim rejected only because the year's total is still under the
    lowest tier counts toward the year when a later stay lifts it (B-H4)."""
    reason = required_reason(reason)
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.IN_REVIEW)
        pin_decision(claim=claim, step=S.REJECTED, actor=actor)
        claim.decided_at = timezone.now()
        claim.amount = ZERO
        move(
            claim,
            S.REJECTED,
            actor=actor,
            reason=reason,
            message=_("Claim #%(pk)s was not approved: %(reason)s")
            % {"pk": claim.pk, "reason": reason},
            request=request,
        )
    return claim


def needs_settlement(*, claim_id: int, actor: User, reason: str = "", request=None) -> Claim:
    """C2: in_review → needs_settlement: a stay that can still be settled with the medical
    insurance is settled first (B-H1)."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.IN_REVIEW)
        pin_decision(claim=claim, step=S.NEEDS_SETTLEMENT, actor=actor)
        text = reason.strip() or _(
            "Settle the stay with your basic medical insurance first, then send the "
            "settlement sheet."
        )
        move(
            claim,
            S.NEEDS_SETTLEMENT,
            actor=actor,
            reason=text,
            message=_("Claim #%(pk)s: %(reason)s") % {"pk": claim.pk, "reason": text},
            request=request,
        )
    return claim


def approve(*, claim_id: int, actor: User, note: str = "", request=None) -> Claim:
    """C3: the first approval. The calculator decides the amount now, with the benefit
    ledger as it is under the member's lock; the amount is granted in the ledger at once
    (so a later claim of the year reads it as already paid). From SECOND_APPROVAL_FROM up
    the claim waits for a second approver at the district."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.IN_REVIEW)
        rules.check_approver(approver_id=actor.pk, submitted_by_id=claim.submitted_by_id)
        decision = pin_decision(claim=claim, step="approve", actor=actor)
        if decision.decision == "needs_settlement":
            raise ClaimError(
                "needs_settlement",
                _("A stay still has to be settled with the medical insurance: ask for it."),
            )
        if decision.amount <= 0:
            raise ClaimError(
                "nothing_payable",
                _("The calculator finds nothing payable: reject the claim with the reason."),
            )
        claim.amount = decision.amount
        claim.approved_by = actor
        book(
            claim=claim,
            amount=decision.amount,
            kind=BenefitEntryKind.GRANT,
            reason=note,
            actor=actor,
        )
        if rules.needs_second_approval(decision.amount):
            move(
                claim,
                S.AWAITING_SECOND,
                actor=actor,
                reason=note or _("Approved; waits for the district's second approval"),
                request=request,
            )
        else:
            claim.decided_at = timezone.now()
            move(
                claim,
                S.APPROVED,
                actor=actor,
                reason=note or _("Approved"),
                message=_approved_text(claim),
                request=request,
            )
    return claim


def _approved_text(claim: Claim) -> str:
    return _("Claim #%(pk)s was approved: %(amount)s yuan will be paid to your union card.") % {
        "pk": claim.pk,
        "amount": format_yuan(claim.amount or ZERO),
    }


def second_approve(*, claim_id: int, actor: User, note: str = "", request=None) -> Claim:
    """C3: the district's second approval of a large claim, by another person."""
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.AWAITING_SECOND)
        rules.check_approver(
            approver_id=actor.pk,
            submitted_by_id=claim.submitted_by_id,
            first_id=claim.approved_by_id,
        )
        pin_decision(claim=claim, step=S.APPROVED, actor=actor)
        claim.second_approved_by = actor
        claim.decided_at = timezone.now()
        move(
            claim,
            S.APPROVED,
            actor=actor,
            reason=note or _("Second approval"),
            message=_approved_text(claim),
            request=request,
        )
    return claim


def send_back_to_review(*, claim_id: int, actor: User, reason: str, request=None) -> Claim:
    """C3: the second approver does not agree: the grant is reversed in the benefit ledger
    and the claim is reviewed again."""
    reason = required_reason(reason)
    with transaction.atomic():
        claim = locked_claim(claim_id)
        check_state(claim, S.AWAITING_SECOND)
        rules.check_approver(
            approver_id=actor.pk,
            submitted_by_id=claim.submitted_by_id,
            first_id=claim.approved_by_id,
        )
        book(
            claim=claim,
            amount=-granted_for(claim),
            kind=BenefitEntryKind.REVERSAL,
            reason=reason,
            actor=actor,
        )
        claim.amount = None
        claim.approved_by = None
        move(claim, S.IN_REVIEW, actor=actor, reason=reason, request=request)
    return claim


# --- reading -------------------------------------------------------------------------------


def claim_signals(claim: Claim) -> list[rules.Signal]:
    """SPEC C6 for one claim: a handful of indexed queries."""
    stays = list(claim.stays.all())
    numbers = [s.invoice_number for s in stays if s.invoice_number]
    duplicates = (
        list(
            ClaimStay.objects.filter(invoice_number__in=numbers)
            .exclude(claim=claim)
            .exclude(claim__resubmissions__isnull=False, claim__state=S.REJECTED)
            .order_by("claim_id")
            .values_list("invoice_number", "claim_id")[:20]
        )
        if numbers
        else []
    )
    # Rejected claims this one resubmits are its own earlier form, not a duplicate.
    duplicates = [d for d in duplicates if d[1] != claim.resubmission_of_id]
    first_signed = Authorization.objects.filter(enrollment_id=claim.enrollment_id).aggregate(
        first=Min("signed_on")
    )["first"]
    mine = [rules.StayDates(claim.pk, s.admitted_on, s.discharged_on) for s in stays]
    others = []
    if mine:
        low = min(s.admitted_on for s in mine) - datetime.timedelta(days=366)
        high = max((s.discharged_on or s.admitted_on) for s in mine)
        others = [
            rules.StayDates(claim_id, admitted, discharged)
            for claim_id, admitted, discharged in ClaimStay.objects.filter(
                member_id=claim.member_id, admitted_on__gte=low, admitted_on__lte=high
            )
            .exclude(claim=claim)
            .exclude(claim_id=claim.resubmission_of_id or 0)
            .values_list("claim_id", "admitted_on", "discharged_on")
        ]
    policy = current_policies().get(claim.year)
    return rules.signals(
        duplicate_invoices=duplicates,
        first_signed_on=first_signed,
        event_on=claim.event_on,
        stays=mine,
        other_stays=others,
        coverage_start=policy.coverage.start if policy else None,
    )
