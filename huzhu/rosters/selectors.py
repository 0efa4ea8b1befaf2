"""Reading roster uploads."""

from django.db.models import Q

from huzhu.rosters.models import Review


def deductible_q(prefix: str = "") -> Q:
    """Authorizations that may go into a deduction (SPEC E6): any not from a roster, and a
    roster's once its organizing unit approved it. `prefix` reaches the authorization from
    another model ("authorizations__")."""
    not_from_a_roster = Q(**{f"{prefix}roster__isnull": True})
    return not_from_a_roster | Q(**{f"{prefix}roster__review": Review.APPROVED})
