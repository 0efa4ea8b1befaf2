"""Reads of claims for the member portal: the signed-in members' own, nobody else's (an
other member's claim or document is answered as if it did not exist)."""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from huzhu.claims.models import Claim, ClaimDocument, ClaimEvent
from huzhu.members.models import Member

# What the portal shows of a claim's history: what the member was told, and the submission.
MEMBER_EVENTS = ~Q(message="") | Q(from_state="")


def member_claims(*, members: list[Member]) -> QuerySet[Claim]:
    """The members' claims, newest first, each with the last thing the member was told."""
    last = (
        ClaimEvent.objects.filter(claim=OuterRef("pk"))
        .exclude(message="")
        .order_by("-at", "-id")
        .values("message")[:1]
    )
    return (
        Claim.objects.filter(member__in=members)
        .select_related("member")
        .annotate(last_message=Subquery(last))
        .order_by("-submitted_at", "-id")
    )


def member_claim(*, members: list[Member], pk: int) -> Claim:
    claim = Claim.objects.filter(member__in=members, pk=pk).select_related("member").first()
    if claim is None:
        raise Http404
    return claim


def member_events(claim: Claim) -> QuerySet[ClaimEvent]:
    return claim.events.filter(MEMBER_EVENTS).order_by("at", "id")


def member_document(*, members: list[Member], claim_pk: int, pk: int) -> ClaimDocument:
    document = (
        ClaimDocument.objects.filter(pk=pk, claim_id=claim_pk, claim__member__in=members)
        .select_related("file", "claim")
        .first()
    )
    if document is None:
        raise Http404
    return document
