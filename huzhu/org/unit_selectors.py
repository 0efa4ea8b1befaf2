"""Reads behind the units pages and their forms, scoped to the acting user. (The overview
reads — progress, target reports — are in selectors.py.)"""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from huzhu.accounts.access import get_in_scope_or_404, scope_path, scoped
from huzhu.accounts.models import User
from huzhu.members.selectors import members_for
from huzhu.org.models import CHILD_KINDS, Target, Unit, UnitKind


def unit_for(*, user: User, pk: int) -> Unit:
    """One unit in the user's scope, or 404."""
    return get_in_scope_or_404(Unit.objects.select_related("parent"), user, pk=pk)


def child_units(*, user: User, unit: Unit) -> QuerySet[Unit]:
    return scoped(Unit.objects.filter(parent=unit), user)


def member_count(*, user: User, unit: Unit) -> int:
    """Members registered in the unit's subtree (and the user's scope)."""
    return members_for(user=user).filter(unit_path__startswith=unit.path).count()


def unit_targets(*, user: User, unit: Unit) -> QuerySet[Target]:
    """The unit's targets, newest year first."""
    return scoped(Target.objects.filter(unit=unit), user, "unit__path").order_by("-year")


def move_choices(*, user: User, unit: Unit) -> QuerySet[Unit]:
    """Active units in scope of the kind this unit may sit under, other than its parent."""
    kinds = [kind for kind, children in CHILD_KINDS.items() if unit.kind in children]
    units = scoped(Unit.objects.filter(kind__in=kinds, active=True), user)
    if unit.parent_id is not None:
        units = units.exclude(pk=unit.parent_id)
    return units.order_by("path")


def parent_choices(*, user: User) -> QuerySet[Unit]:
    """Units under which this user may add a unit: organizing and grassroots ones in scope."""
    return scoped(
        Unit.objects.filter(kind__in=[UnitKind.ORGANIZING, UnitKind.GRASSROOTS], active=True),
        user,
    ).order_by("path")


def member_units(*, user: User) -> QuerySet[Unit]:
    """Active grassroots unions in scope: where this user may register a member."""
    return scoped(Unit.objects.filter(kind=UnitKind.GRASSROOTS, active=True), user).order_by("path")


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int  # levels below the user's own unit
    members: int  # registered in its subtree


def unit_tree(*, user: User) -> list[TreeRow]:
    """The units in scope as a tree (siblings in 附件1 order, children right under their
    parent), each with the members registered in its subtree."""
    units = list(scoped(Unit.objects.all(), user))
    counts = dict(
        members_for(user=user)
        .order_by()
        .values("unit_path")
        .annotate(n=Count("id"))
        .values_list("unit_path", "n")
    )
    depth0 = scope_path(user).count("/")
    by_id = {u.pk: u for u in units}

    def tree_key(unit: Unit) -> list[tuple[int, str]]:
        return [
            (by_id[int(i)].position, by_id[int(i)].name) if int(i) in by_id else (0, "")
            for i in unit.path.strip("/").split("/")
        ]

    return [
        TreeRow(
            unit=u,
            depth=u.path.count("/") - depth0,
            members=sum(n for path, n in counts.items() if path.startswith(u.path)),
        )
        for u in sorted(units, key=tree_key)
    ]
