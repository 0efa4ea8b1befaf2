"""Reads of members, always scoped to what the acting user may see (SPEC S1).

Every function takes the acting user by keyword and has no unscoped default: a read of the
whole district is a function that says so. The member list reads one page at a time from a
keyset (the last row shown), never with OFFSET and never counting the table, so page 400
costs what page 1 costs however many members the district holds (docs/decisions.md,
"Page cost at district scale").
"""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404

from huzhu.accounts.access import scope_path
from huzhu.members import crypto
from huzhu.members.models import CorrectionRequest, CorrectionStatus, Member, MemberChange
from huzhu.members.rules import MemberSearch, SearchKind
from huzhu.org.models import Unit
from huzhu.org.paths import (
    Bytewise,
    at_least,
    below,
    prefix_end,
    rows_after,
    rows_before,
    starts_with,
)

PAGE_SIZE = 50
# What the list shows: no ciphertext and no hash leaves the database for it.
LIST_COLUMNS = (
    "id",
    "name",
    "id_number_masked",
    "phone_masked",
    "employer_name",
    "unit_path",
    "unit__name",
)


def in_scope(*, user) -> Q:
    """The members of the user's subtree, as a range an index answers (org.paths)."""
    return starts_with("unit_path", scope_path(user))


def members_for(*, user) -> QuerySet[Member]:
    return Member.objects.select_related("unit").filter(in_scope(user=user))


def member_for(*, user, pk: int) -> Member:
    """One member in the user's scope; anyone else's is answered as if it did not exist."""
    found = members_for(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def member_count(*, user) -> int:
    """Members in the user's scope, from the counts the services keep per unit."""
    units = Unit.objects.filter(starts_with("path", scope_path(user)))
    return units.aggregate(n=Sum("member_count"))["n"] or 0


def member_units(*, user) -> list[Unit]:
    """Units in scope holding members, in the list's order: where the pager can jump to."""
    return list(
        Unit.objects.filter(starts_with("path", scope_path(user)), member_count__gt=0)
        .order_by(Bytewise(F("path")))
        .only("id", "name", "path")
    )


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    # Keyset cursors: the member whose row the next page starts after, or the previous page
    # ends before; None when there is no such page.
    next_after: int | None
    previous_before: int | None
    # Members the search or scope holds; `count_capped` when it holds more than counted.
    count: int
    count_capped: bool = False

    @property
    def has_other_pages(self) -> bool:
        return self.next_after is not None or self.previous_before is not None


@dataclass(frozen=True)
class _Listing:
    """A search as the pager reads it: the members matching everything but a range on the
    leading column of the order (`field` starts with `prefix`), and that order."""

    members: QuerySet[Member]
    field: str
    prefix: str
    columns: list
    fields: list[str]

    def bounded(self, *, lower: bool = True, upper: bool = True) -> QuerySet[Member]:
        """With the range on the leading column. A keyset page leaves out the bound its
        cursor already implies: SQLite seeks on `(a, b, c) > (…)` only when no other lower
        bound on `a` competes with it, and otherwise reads the range from its start."""
        column = Bytewise(F(self.field))
        members = self.members
        if lower:
            members = members.filter(at_least(column, self.prefix))
        end = prefix_end(self.prefix)
        if upper and end is not None:
            members = members.filter(below(column, end))
        return members


def _listing(*, user, search: MemberSearch) -> _Listing:
    """A name search reads in name order (the name index); everything else in the tree's
    order (the scope index)."""
    members = Member.objects.select_related("unit")
    scope = scope_path(user)
    tree_order = ([Bytewise(F("unit_path")), F("name"), F("id")], ["unit_path", "name", "id"])
    if search.kind == SearchKind.NAME:
        return _Listing(
            members.filter(in_scope(user=user)),
            "name",
            search.value,
            [Bytewise(F("name")), F("id")],
            ["name", "id"],
        )
    if search.kind == SearchKind.LAST_FOUR:
        members = members.filter(
            Q(id_number_masked__endswith=search.value) | Q(phone_masked__endswith=search.value)
        )
    elif search.kind == SearchKind.MASKED:
        members = members.filter(Q(id_number_masked=search.value) | Q(phone_masked=search.value))
    elif search.kind != SearchKind.ALL:
        members = members.none()
    return _Listing(members, "unit_path", scope, *tree_order)


def member_page(
    *,
    user,
    search: MemberSearch,
    after: int | None = None,
    before: int | None = None,
    unit: int | None = None,
) -> MemberPage:
    """One page of the member list or of a name or fragment search.

    `after`/`before`: the id of the member the page starts after (ends before), from the
    pager's links; `unit`: start at the first member of this unit (the pager's jump). A
    cursor outside the search or the scope is ignored: the first page is shown.
    """
    listing = _listing(user=user, search=search)
    found = listing.bounded()
    columns = listing.columns
    descending = [c.desc() for c in columns]
    start: list | None = None
    backwards = False
    cursor_id = after if after is not None else before
    if cursor_id is not None:
        row = found.filter(pk=cursor_id).values_list(*listing.fields).first()
        if row is not None:
            start, backwards = list(row), after is None
    elif unit is not None and search.kind == SearchKind.ALL:
        path = (
            Unit.objects.filter(starts_with("path", scope_path(user)), pk=unit)
            .values_list("path", flat=True)
            .first()
        )
        if path is not None:
            # Below every member of that unit: names are never empty, ids start at 1.
            start = [path, "", 0]

    forwards = found.only(*LIST_COLUMNS).order_by(*columns)
    has_previous = start is not None
    if start is None:
        rows = list(forwards[: PAGE_SIZE + 1])
    elif backwards:
        earlier = (
            listing.bounded(upper=False)
            .filter(rows_before(columns, start))
            .only(*LIST_COLUMNS)
            .order_by(*descending)
        )
        rows = list(earlier[: PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
        else:
            # Back at the start: the whole first page rather than a short one.
            rows, has_previous = list(forwards[: PAGE_SIZE + 1]), False
    else:
        later = (
            listing.bounded(lower=False)
            .filter(rows_after(columns, start))
            .only(*LIST_COLUMNS)
            .order_by(*columns)
        )
        rows = list(later[: PAGE_SIZE + 1])
    # Going back, the cursor's own row follows the page.
    has_next = len(rows) > PAGE_SIZE or (backwards and has_previous)
    shown = rows[:PAGE_SIZE]
    if search.kind == SearchKind.ALL:
        count, capped = member_count(user=user), False
    elif has_next or has_previous:
        # A search is not counted beyond its page: counting every 王 of the district would
        # read every one of them. "More than 50 found", and the pager goes on.
        count, capped = PAGE_SIZE, True
    else:
        count, capped = len(shown), False
    return MemberPage(
        members=shown,
        next_after=shown[-1].pk if has_next and shown else None,
        previous_before=shown[0].pk if has_previous and shown else None,
        count=count,
        count_capped=capped,
    )


def members_with_number(*, user, search: MemberSearch) -> QuerySet[Member]:
    """The members in scope holding this full ID or phone number (through the keyed hash)."""
    if search.kind == SearchKind.FULL_ID:
        return members_for(user=user).filter(id_number_hash=crypto.lookup_hash("id", search.value))
    if search.kind == SearchKind.FULL_PHONE:
        return members_for(user=user).filter(phone_hash=crypto.lookup_hash("phone", search.value))
    return members_for(user=user).none()


def member_count_drift() -> dict[int, tuple[int, int]]:
    """Units whose kept member count differs from their members: id → (kept, counted).
    Empty when every count holds (what `huzhu member_counts --check` asks)."""
    counted = dict(
        Member.objects.order_by()
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    drift = {}
    for unit_id, kept in Unit.objects.values_list("id", "member_count"):
        if kept != counted.get(unit_id, 0):
            drift[unit_id] = (kept, counted.get(unit_id, 0))
    return drift


def signed_in_members(*, member_ids: list[int]) -> list[Member]:
    """The members a portal session signed in as (a family may share one phone); the
    portal's scope is these members."""
    if not member_ids:
        return []
    return list(Member.objects.filter(pk__in=member_ids).select_related("unit"))


def member_changes(*, user, member: Member) -> list[MemberChange]:
    """A member's history, newest first (numbers masked as stored); `member` comes from
    member_for, so it is in the user's scope."""
    member_for(user=user, pk=member.pk)
    return list(member.changes.select_related("actor_user").order_by("-created_at", "-id"))


def open_corrections(*, user, member: Member | None = None) -> QuerySet[CorrectionRequest]:
    """Correction requests waiting for an answer from the user's units (SPEC S1: by the
    member's present unit), oldest first."""
    found = CorrectionRequest.objects.select_related("member", "member__unit").filter(
        starts_with("member__unit_path", scope_path(user)), status=CorrectionStatus.OPEN
    )
    if member is not None:
        found = found.filter(member=member)
    return found.order_by("created_at", "id")


def correction_for(*, user, pk: int) -> CorrectionRequest:
    """One request of a member in the user's scope; anyone else's is answered as missing."""
    found = (
        CorrectionRequest.objects.select_related("member")
        .filter(starts_with("member__unit_path", scope_path(user)), pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def member_corrections(*, members: list[Member]) -> list[CorrectionRequest]:
    """The portal's scope: the requests of the signed-in members, newest first."""
    return list(
        CorrectionRequest.objects.filter(member__in=members).order_by("-created_at", "-id")[:50]
    )
