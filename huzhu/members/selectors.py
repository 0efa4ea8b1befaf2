"""Reads of members, always scoped to what the acting user may see (SPEC S1)."""

from django.db.models import QuerySet

from huzhu.accounts.access import get_in_scope_or_404, scoped
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.rules import InvalidValue, clean_id_number, clean_phone


def members_for(user) -> QuerySet[Member]:
    return scoped(Member.objects.select_related("unit"), user, "unit_path")


def member_for(user, pk: int) -> Member:
    return get_in_scope_or_404(Member.objects.select_related("unit"), user, "unit_path", pk=pk)


def search_members(user, query: str) -> QuerySet[Member]:
    """A name fragment, or a full ID or phone number (found through the keyed hash)."""
    members = members_for(user)
    query = query.strip()
    if not query:
        return members
    for kind, field, clean in (
        ("id", "id_number_hash", clean_id_number),
        ("phone", "phone_hash", clean_phone),
    ):
        try:
            value = clean(query)
        except InvalidValue:
            continue
        return members.filter(**{field: crypto.lookup_hash(kind, value)})
    return members.filter(name__contains=query)
