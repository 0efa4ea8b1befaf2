"""Reads of members, always scoped to what the acting user may see (SPEC S1)."""

from django.db.models import Q, QuerySet

from huzhu.accounts.access import get_in_scope_or_404, scoped
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.rules import MemberSearch, SearchKind


def members_for(user) -> QuerySet[Member]:
    return scoped(Member.objects.select_related("unit"), user, "unit_path")


def member_for(user, pk: int) -> Member:
    return get_in_scope_or_404(Member.objects.select_related("unit"), user, "unit_path", pk=pk)


def search_members(user, search: MemberSearch) -> QuerySet[Member]:
    """A name, the last four digits of an ID or phone number, or a number as the lists
    show it masked. Compared only with what lists show, so it confirms nothing more; a
    full number is searched by members.services.search_by_full_number."""
    members = members_for(user)
    if search.kind == SearchKind.ALL:
        return members
    if search.kind == SearchKind.NAME:
        return members.filter(name__contains=search.value)
    if search.kind == SearchKind.LAST_FOUR:
        return members.filter(
            Q(id_number_masked__endswith=search.value) | Q(phone_masked__endswith=search.value)
        )
    if search.kind == SearchKind.MASKED:
        return members.filter(Q(id_number_masked=search.value) | Q(phone_masked=search.value))
    return members.none()


def members_with_number(user, search: MemberSearch) -> QuerySet[Member]:
    """The members in scope holding this full ID or phone number (through the keyed hash)."""
    if search.kind == SearchKind.FULL_ID:
        return members_for(user).filter(id_number_hash=crypto.lookup_hash("id", search.value))
    if search.kind == SearchKind.FULL_PHONE:
        return members_for(user).filter(phone_hash=crypto.lookup_hash("phone", search.value))
    return members_for(user).none()
