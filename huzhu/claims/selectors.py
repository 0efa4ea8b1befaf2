"""Reads of claims. The review console's are always scoped to the user's unit subtree (SPEC
S1): the queue, one claim with what its page shows, and one of its documents. The member
portal's are the signed-in members' own, nobody else's (another member's claim or document
is answered as if it did not exist)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from huzhu.accounts.access import scope_path
from huzhu.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimState
from huzhu.claims.rules import state_label
from huzhu.members.models import Member
from huzhu.org.models import Unit, UnitKind
from huzhu.org.paths import rows_after, rows_before, starts_with
from huzhu.policy.codes import BENEFIT_LABELS

S = ClaimState
PAGE_SIZE = 50
# What a reviewer works on, oldest first (SPEC §12: the service agency's queue).
REVIEW_STATES = (S.SUBMITTED, S.IN_REVIEW)
# The district's tab of claims that wait for a second approver (SPEC C3).
SECOND_STATES = (S.AWAITING_SECOND,)
# Days since submission: (code, lowest, highest) with None for no bound.
AGES = {"week": (None, 7), "month": (8, 30), "older": (31, None)}


def in_scope(*, user) -> Q:
    return starts_with("unit_path", scope_path(user))


def organizing_units(*, user) -> list[Unit]:
    """The organizing units a user may filter the queue by: those inside their scope (none
    for a grassroots clerk, whose whole scope is one union)."""
    return list(
        Unit.objects.filter(starts_with("path", scope_path(user)), kind=UnitKind.ORGANIZING)
        .only("pk", "name", "path")
        .order_by("position", "name", "pk")
    )


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, already checked. `states` empty is every state."""

    states: tuple[str, ...] = REVIEW_STATES
    benefit: str = ""
    unit: Unit | None = None
    age: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    year: int | None = None

    @property
    def oldest_first(self) -> bool:
        """Work queues run oldest first; a list of every claim, newest first."""
        return bool(self.states) and set(self.states) <= {*REVIEW_STATES, *SECOND_STATES}


def _filtered(*, user, filters: QueueFilters, now: datetime.datetime) -> QuerySet[Claim]:
    claims = Claim.objects.filter(in_scope(user=user)).annotate(
        shown_amount=Coalesce(
            "amount", "estimate", output_field=DecimalField(max_digits=10, decimal_places=2)
        )
    )
    if filters.states:
        claims = claims.filter(state__in=filters.states)
    if filters.benefit:
        claims = claims.filter(benefit=filters.benefit)
    if filters.unit is not None:
        claims = claims.filter(starts_with("unit_path", filters.unit.path))
    if filters.year is not None:
        claims = claims.filter(year=filters.year)
    if filters.age in AGES:
        low, high = AGES[filters.age]
        # Whole days since submission: at most `high` days means after now − (high+1) days.
        if high is not None:
            claims = claims.filter(submitted_at__gt=now - datetime.timedelta(days=high + 1))
        if low is not None:
            claims = claims.filter(submitted_at__lte=now - datetime.timedelta(days=low))
    if filters.amount_min is not None:
        claims = claims.filter(shown_amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        claims = claims.filter(shown_amount__lte=filters.amount_max)
    return claims


@dataclass(frozen=True)
class QueueRow:
    pk: int
    name: str
    id_masked: str
    benefit: str
    state: str
    organizing_unit: str
    submitted_at: datetime.datetime
    waiting_days: int
    estimate: Decimal
    amount: Decimal | None
    year: int

    @property
    def state_label(self) -> str:
        return state_label(self.state)

    @property
    def benefit_label(self) -> str:
        return str(BENEFIT_LABELS.get(self.benefit, self.benefit))


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    # The claim the next page starts after; None on the last page.
    next_after: int | None
    first: bool


ROW_COLUMNS = (
    "pk",
    "member__name",
    "member__id_number_masked",
    "benefit",
    "state",
    "organizing_unit__name",
    "submitted_at",
    "estimate",
    "amount",
    "year",
)


def _row(values: tuple, now: datetime.datetime) -> QueueRow:
    pk, name, id_masked, benefit, state, unit_name, submitted_at, estimate, amount, year = values
    return QueueRow(
        pk=pk,
        name=name,
        id_masked=id_masked,
        benefit=benefit,
        state=state,
        organizing_unit=unit_name,
        submitted_at=submitted_at,
        waiting_days=(now - submitted_at).days,
        estimate=estimate,
        amount=amount,
        year=year,
    )


def queue_page(
    *, user, filters: QueueFilters, after: int | None = None, size: int | None = None
) -> QueuePage:
    """One page of the queue from a keyset (submitted_at, id): one query whatever the
    page's size (two with a cursor), the names, masked ID numbers and units read with the
    claims. A cursor outside the user's scope is ignored: the first page is shown."""
    size = size or PAGE_SIZE
    now = timezone.now()
    listing = _filtered(user=user, filters=filters, now=now)
    keyset: list = [F("submitted_at"), F("id")]
    start = None
    if after is not None:
        start = (
            Claim.objects.filter(in_scope(user=user), pk=after)
            .values_list("submitted_at", "id")
            .first()
        )
    if filters.oldest_first:
        listing = listing.order_by("submitted_at", "id")
        if start is not None:
            listing = listing.filter(rows_after(keyset, list(start)))
    else:
        listing = listing.order_by("-submitted_at", "-id")
        if start is not None:
            listing = listing.filter(rows_before(keyset, list(start)))
    found = list(listing.values_list(*ROW_COLUMNS)[: size + 1])
    rows = [_row(values, now) for values in found[:size]]
    return QueuePage(
        rows=rows,
        next_after=rows[-1].pk if len(found) > size and rows else None,
        first=start is None,
    )


def claim_for(*, user, pk: int) -> Claim:
    """One claim in the user's scope with the people and units its page names; 404 for
    any other (SPEC S1)."""
    claim = (
        Claim.objects.filter(in_scope(user=user), pk=pk)
        .select_related(
            "member",
            "enrollment__grassroots_union",
            "organizing_unit",
            "submitted_by",
            "reviewer",
            "approved_by",
            "second_approved_by",
            "resubmission_of",
        )
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def document_for(*, user, claim_pk: int, pk: int) -> ClaimDocument:
    """A document of a claim in the user's scope; 404 when the claim is not theirs or the
    document is not the claim's (SPEC S1, S5)."""
    document = (
        ClaimDocument.objects.filter(
            starts_with("claim__unit_path", scope_path(user)), claim_id=claim_pk, pk=pk
        )
        .select_related("file")
        .first()
    )
    if document is None:
        raise Http404
    return document


def other_claims_of_year(*, user, claim: Claim) -> QuerySet[Claim]:
    """The member's other claims of the claim's year that the user may open."""
    return (
        Claim.objects.filter(in_scope(user=user), member_id=claim.member_id, year=claim.year)
        .exclude(pk=claim.pk)
        .only("pk", "benefit", "state", "submitted_at", "estimate", "amount")
        .order_by("submitted_at", "pk")
    )


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
