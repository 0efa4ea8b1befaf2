"""Reads for the member portal, where the scope is the members signed in on this phone."""

from huzhu.members.models import Member


def signed_in_members(*, member_ids: list[int]) -> list[Member]:
    """The members a portal session signed in as (a family may share one phone)."""
    if not member_ids:
        return []
    return list(Member.objects.filter(pk__in=member_ids).select_related("unit"))
