"""Reading roster uploads."""

from django.db.models import F, Q, QuerySet
from django.http import Http404

from huzhu.accounts.access import scoped
from huzhu.enrollment.models import Enrollment, State
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.org.models import Unit, UnitKind
from huzhu.org.paths import Bytewise, starts_with
from huzhu.rosters.models import Review


def deductible_q(prefix: str = "") -> Q:
    """Authorizations that may go into a deduction (SPEC E6): any not from a roster, and a
    roster's once its organizing unit approved it. `prefix` reaches the authorization from
    another model ("authorizations__")."""
    not_from_a_roster = Q(**{f"{prefix}roster__isnull": True})
    return not_from_a_roster | Q(**{f"{prefix}roster__review": Review.APPROVED})


# --- Roster export and authorization forms (SPEC X8, X9) ---

# An enrollment whose authorization was revoked, or whose year lapsed, is no longer on the
# union's roster.
OFF_THE_ROSTER = (State.REVOKED, State.LAPSED)


def roster_enrollments(*, unit: Unit, year: int) -> QuerySet[Enrollment]:
    """The enrollments of `year` held in `unit`'s subtree, with the units they were signed
    under, in the order of the `enrollment_scope` index (union by union)."""
    return (
        Enrollment.objects.filter(year=year)
        .filter(starts_with("unit_path", unit.path))
        .exclude(state__in=OFF_THE_ROSTER)
        .order_by(Bytewise(F("unit_path")), "id")
    )


def roster_units(*, user) -> QuerySet[Unit]:
    """The units a roster can be written or printed for: the district, organizing units and
    grassroots unions in the user's scope."""
    kinds = [UnitKind.DISTRICT, UnitKind.ORGANIZING, UnitKind.GRASSROOTS]
    return scoped(Unit.objects.filter(kind__in=kinds, active=True), user).order_by("path")


def roster_unit_for(*, user, pk: int) -> Unit:
    """One of `roster_units`, or 404 (another unit's, S1)."""
    found = roster_units(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def roster_unit_named(name: str) -> list[Unit]:
    """The active units a command line's --unit names (at most two: enough to tell that a
    name is ambiguous)."""
    kinds = [UnitKind.DISTRICT, UnitKind.ORGANIZING, UnitKind.GRASSROOTS]
    return list(Unit.objects.filter(name=name.strip(), kind__in=kinds, active=True)[:2])


def member_with_id_number(id_number: str) -> Member | None:
    """The member registered with this (cleaned) ID number, found by its keyed hash."""
    return (
        Member.objects.select_related("unit")
        .filter(id_number_hash=crypto.lookup_hash("id", id_number))
        .first()
    )
