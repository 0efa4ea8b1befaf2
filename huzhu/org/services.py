"""Writes to the union tree and the targets, each in one transaction with its audit row."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from huzhu.accounts.models import User
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.org.models import CHILD_KINDS, FormsRoute, Target, UnionTarget, Unit, UnitKind
from huzhu.org.rules import TargetFile, TargetFileError, parse_union_targets

DISTRICT_NAME = "武进区总工会"


class UnitError(Exception):
    pass


def create_unit(
    *, actor: Actor, name: str, kind: str, parent: Unit | None, position: int = 0, request=None
) -> Unit:
    name = name.strip()
    if not name:
        raise UnitError(_("Enter the unit name."))
    if parent is None and kind != UnitKind.DISTRICT:
        raise UnitError(_("Only the district union has no parent unit."))
    if kind == UnitKind.DISTRICT and Unit.objects.filter(kind=UnitKind.DISTRICT).exists():
        raise UnitError(_("There is already a district union."))
    if parent is not None and kind not in CHILD_KINDS[UnitKind(parent.kind)]:
        raise UnitError(_("A unit of this kind cannot be placed under that unit."))
    with transaction.atomic():
        if parent is not None:
            # Locked and read afresh: a move or deactivation may have changed it meanwhile.
            parent = _locked(parent)
            if not parent.active:
                raise UnitError(_("A unit cannot be added under a deactivated unit."))
        unit = Unit.objects.create(name=name, kind=kind, parent=parent, position=position, path="")
        # The path needs the new id; the row is written twice inside one transaction.
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])
        record_event(
            action=Action.UNIT_CREATE, actor=actor, target=unit, request=request, summary=unit.name
        )
    return unit


def add_unit(*, actor: User, name: str, parent: Unit, request=None) -> Unit:
    """A unit added from the console under `parent`. Its kind follows from the parent's: an
    organizing unit holds grassroots unions, a grassroots union holds employers."""
    kinds = CHILD_KINDS[UnitKind(parent.kind)]
    if len(kinds) != 1:
        raise UnitError(_("A unit of this kind cannot be placed under that unit."))
    (kind,) = kinds
    try:
        return create_unit(actor=actor, name=name, kind=kind, parent=parent, request=request)
    except IntegrityError:
        # The unique name under one parent: two people adding the same unit at once.
        raise UnitError(_("A unit of this name already exists there.")) from None


def district() -> Unit:
    """The root of the tree, created on first use."""
    root = Unit.objects.filter(kind=UnitKind.DISTRICT).first()
    if root is None:
        root = create_unit(actor=None, name=DISTRICT_NAME, kind=UnitKind.DISTRICT, parent=None)
    return root


@dataclass(frozen=True)
class TargetsImport:
    year: int
    units: int
    created: list[str]
    first_import: bool
    cleared: list[str]


def new_unit_rows(parsed: TargetFile) -> list[tuple[int, str]]:
    """(row, name) of each file row naming no organizing unit of the tree."""
    known = set(Unit.objects.filter(kind=UnitKind.ORGANIZING).values_list("name", flat=True))
    return [(row.line, row.unit_name) for row in parsed.rows if row.unit_name not in known]


def unlisted_units(parsed: TargetFile, units: Iterable[Unit] | None = None) -> list[str]:
    """Names of the active organizing units the file does not list that hold figures it
    replaces: the plan year's target, or the previous year's target or completed count.

    A targets file is the whole 附件1 of its year, so importing it clears these (after the
    person confirmed the list): otherwise a unit renamed in the file keeps its old figures
    under the old name and the totals count them twice."""
    listed = {row.unit_name for row in parsed.rows}
    if units is None:
        units = Unit.objects.filter(kind=UnitKind.ORGANIZING)
    candidates = {u.pk: u for u in units if u.active and u.name not in listed}
    held = _replaced_figures(parsed.year).filter(unit__in=list(candidates))
    holding = set(held.values_list("unit_id", flat=True))
    return [
        u.name
        for u in sorted(candidates.values(), key=lambda u: (u.position, u.name))
        if u.pk in holding
    ]


def _replaced_figures(year: int):
    """The target rows a file for plan year `year` writes: the plan year's target and the
    previous year's target and completed count (a completed count for the plan year comes
    from next year's file and is left alone)."""
    return Target.objects.filter(
        Q(year=year, target__isnull=False)
        | Q(year=year - 1, target__isnull=False)
        | Q(year=year - 1, imported_completed__isnull=False)
    )


def import_targets(
    *,
    actor: Actor,
    parsed: TargetFile,
    source: str = "",
    create_units: Collection[str] = (),
    clear_units: Collection[str] = (),
    request=None,
) -> TargetsImport:
    """Apply a parsed 附件1 (SPEC T2, T3, T5): the plan year's targets and the previous
    year's targets and completed counts are set. All or nothing: the file was fully
    validated before this is called.

    A unit name the tree does not hold is an error naming its row — a typo must not become
    a phantom unit that inflates the totals — unless it is one of `create_units`, the names
    the person confirmed. Into an empty tree (the first import) every unit is created.
    An organizing unit the file does not list loses the figures the file replaces
    (`unlisted_units`) if it is one of `clear_units`; otherwise it is an error."""
    year = parsed.year
    with transaction.atomic():
        root = district()
        existing = {u.name: u for u in Unit.objects.filter(parent=root).select_for_update()}
        first_import = not existing
        errors = []
        cleared = unlisted_units(parsed, existing.values())
        for name in cleared:
            if name not in clear_units:
                errors.append(
                    _(
                        "The organizing unit “%(name)s” is not in the file, yet it holds "
                        "figures for %(previous)s or %(year)s. A targets file lists every "
                        "organizing unit: add it, rename it on the Units page if the file "
                        "names it otherwise, or confirm that its figures be cleared."
                    )
                    % {"name": name, "previous": year - 1, "year": year}
                )
        for row in parsed.rows:
            unit = existing.get(row.unit_name)
            if unit is None and not first_import and row.unit_name not in create_units:
                errors.append(
                    _(
                        "Row %(row)s: there is no organizing unit “%(name)s”. Correct the "
                        "name, or confirm that it is a new unit."
                    )
                    % {"row": row.line, "name": row.unit_name}
                )
            elif unit is not None and not unit.active:
                errors.append(
                    _(
                        "Row %(row)s: the organizing unit “%(name)s” is deactivated; "
                        "reactivate it on the Units page first."
                    )
                    % {"row": row.line, "name": row.unit_name}
                )
        if errors:
            raise TargetFileError(errors)
        if cleared:
            gone = _replaced_figures(year).filter(unit__in=[existing[n] for n in cleared])
            gone.filter(year=year).update(target=None)
            gone.filter(year=year - 1).update(target=None, imported_completed=None)
        created = []
        for row in parsed.rows:
            unit = existing.get(row.unit_name)
            if unit is None:
                unit = create_unit(
                    actor=actor,
                    name=row.unit_name,
                    kind=UnitKind.ORGANIZING,
                    parent=root,
                    position=row.position,
                    request=request,
                )
                created.append(unit.name)
            elif unit.position != row.position:
                unit.position = row.position
                unit.save(update_fields=["position"])
            Target.objects.update_or_create(
                unit=unit,
                year=year - 1,
                defaults={
                    "target": row.previous_target,
                    "imported_completed": row.previous_completed,
                },
            )
            Target.objects.update_or_create(unit=unit, year=year, defaults={"target": row.target})
        record_event(
            action=Action.TARGETS_IMPORT,
            actor=actor,
            target=root,
            request=request,
            summary=_("Targets for %(year)s imported from %(source)s: %(count)s units.")
            % {"year": year, "source": source, "count": len(parsed.rows)},
            data={
                "year": year,
                "units": len(parsed.rows),
                "created_units": created,
                "cleared_units": cleared,
                "source": source,
            },
        )
    return TargetsImport(
        year=year,
        units=len(parsed.rows),
        created=created,
        first_import=first_import,
        cleared=cleared,
    )


# Corrections of the tree (rename, move, deactivate), for district admins. A unit is never
# deleted: members, targets and audit rows refer to it.


def _locked(unit: Unit) -> Unit:
    return Unit.objects.select_for_update().get(pk=unit.pk)


def rename_unit(*, actor: Actor, unit: Unit, name: str, request=None) -> Unit:
    name = name.strip()
    if not name:
        raise UnitError(_("Enter the unit name."))
    with transaction.atomic():
        unit = _locked(unit)
        old = unit.name
        if old == name:
            return unit
        if Unit.objects.filter(parent_id=unit.parent_id, name=name).exclude(pk=unit.pk).exists():
            raise UnitError(_("A unit of this name already exists there."))
        unit.name = name
        try:
            with transaction.atomic():
                unit.save(update_fields=["name"])
        except IntegrityError as exc:  # a concurrent rename took the name
            raise UnitError(_("A unit of this name already exists there.")) from exc
        record_event(
            action=Action.UNIT_RENAME,
            actor=actor,
            target=unit,
            request=request,
            summary=f"{old} → {name}",
            data={"old": old, "new": name},
        )
    return unit


def move_unit(*, actor: Actor, unit: Unit, parent: Unit, request=None) -> Unit:
    """Put a unit (and its whole subtree) under another parent of the right kind: a
    grassroots union under another organizing unit, an employer under another union.
    Every path below it, and the members' copies, change in the same transaction."""
    from huzhu.members.models import Member

    with transaction.atomic():
        unit = _locked(unit)
        parent = _locked(parent)
        if unit.parent_id == parent.pk:
            return unit
        if unit.kind == UnitKind.DISTRICT or unit.kind not in CHILD_KINDS[UnitKind(parent.kind)]:
            raise UnitError(_("A unit of this kind cannot be placed under that unit."))
        if parent.path.startswith(unit.path):
            raise UnitError(_("A unit cannot be moved under itself."))
        if not parent.active:
            raise UnitError(_("A unit cannot be moved under a deactivated unit."))
        if Unit.objects.filter(parent=parent, name=unit.name).exists():
            raise UnitError(_("A unit of this name already exists there."))
        old_parent = unit.parent
        old_path = unit.path
        new_path = f"{parent.path}{unit.pk}/"
        rest = Substr("path", len(old_path) + 1)
        moved_units = Unit.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), rest)
        )
        moved_members = Member.objects.filter(unit_path__startswith=old_path).update(
            unit_path=Concat(Value(new_path), Substr("unit_path", len(old_path) + 1))
        )
        Unit.objects.filter(pk=unit.pk).update(parent=parent)
        unit.refresh_from_db()
        record_event(
            action=Action.UNIT_MOVE,
            actor=actor,
            target=unit,
            request=request,
            summary=f"{unit.name}: {old_parent} → {parent}",
            data={
                "from": old_parent.name if old_parent else "",
                "to": parent.name,
                "old_path": old_path,
                "new_path": new_path,
                "units": moved_units,
                "members": moved_members,
            },
        )
    return unit


def deactivate_unit(*, actor: Actor, unit: Unit, request=None) -> Unit:
    """Take a unit out of reports, totals, dashboards and choice lists; its history and
    targets stay. Units under it must be moved or deactivated first, and staff accounts
    attached to it disabled or moved, so nobody keeps working in a unit that is gone."""
    from huzhu.accounts.models import User

    with transaction.atomic():
        unit = _locked(unit)
        if unit.kind == UnitKind.DISTRICT:
            raise UnitError(_("The district union cannot be deactivated."))
        if not unit.active:
            return unit
        children = Unit.objects.filter(parent=unit, active=True).count()
        if children:
            raise UnitError(
                _("%(count)s active units are under this unit: move or deactivate them first.")
                % {"count": children}
            )
        staff = User.objects.filter(unit=unit, is_active=True).count()
        if staff:
            raise UnitError(
                _(
                    "%(count)s active staff accounts belong to this unit: disable or move "
                    "them first."
                )
                % {"count": staff}
            )
        unit.active = False
        unit.save(update_fields=["active"])
        record_event(
            action=Action.UNIT_DEACTIVATE,
            actor=actor,
            target=unit,
            request=request,
            summary=unit.name,
        )
    return unit


def reactivate_unit(*, actor: Actor, unit: Unit, request=None) -> Unit:
    with transaction.atomic():
        unit = _locked(unit)
        if unit.active:
            return unit
        if unit.parent is not None and not unit.parent.active:
            raise UnitError(_("Reactivate the unit above it first."))
        unit.active = True
        unit.save(update_fields=["active"])
        record_event(
            action=Action.UNIT_REACTIVATE,
            actor=actor,
            target=unit,
            request=request,
            summary=unit.name,
        )
    return unit


def record_targets_export(*, actor: User, year: int, request=None) -> None:
    """The audit row of a downloaded targets report (SPEC S3): who took which year's
    figures out of the system."""
    with transaction.atomic():
        record_event(
            action=Action.TARGETS_EXPORT,
            actor=actor,
            request=request,
            unit_path=actor.unit_path,
            summary=f"{year}",
            data={"year": year},
        )


class UnionTargetsRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def set_union_targets(
    *, actor: User, organizing: Unit, year: int, entries: dict[int, str], request=None
) -> list[UnionTarget]:
    """Split an organizing unit's target of `year` among its active grassroots unions:
    `entries` maps a union id to the number typed (empty clears its share). Every entry is
    checked first, each refusal naming its union; then all are written with one audit row.
    The caller has checked that the actor may set this unit's split."""
    unions = {
        u.pk: u
        for u in Unit.objects.filter(parent=organizing, kind=UnitKind.GRASSROOTS, active=True)
    }
    shares, errors = parse_union_targets(
        [(pk, unions[pk].name, text) for pk, text in entries.items() if pk in unions]
    )
    if errors:
        raise UnionTargetsRefused(errors)
    with transaction.atomic():
        before = dict(
            UnionTarget.objects.filter(year=year, unit__in=list(unions)).values_list(
                "unit_id", "target"
            )
        )
        saved = []
        for pk, value in shares.items():
            if value is None:
                UnionTarget.objects.filter(unit_id=pk, year=year).delete()
                continue
            if before.get(pk) == value:
                continue
            share, _created = UnionTarget.objects.update_or_create(
                unit_id=pk, year=year, defaults={"target": value, "set_by": actor}
            )
            saved.append(share)
        changes = {
            unions[pk].name: [before.get(pk), value]
            for pk, value in shares.items()
            if before.get(pk) != value
        }
        if changes:
            record_event(
                action=Action.UNION_TARGETS_SET,
                actor=actor,
                target=organizing,
                request=request,
                summary=_("Targets for %(year)s split among the grassroots unions of %(unit)s.")
                % {"year": year, "unit": organizing.name},
                data={"year": year, "changes": changes},
            )
    return saved


def set_forms_route(*, actor: Actor, unit: Unit, route: str, request=None) -> Unit:
    """Where an organizing unit hands its paper forms (SPEC E6): the district admin's
    correction of what the unit's name suggests."""
    if unit.kind != UnitKind.ORGANIZING:
        raise UnitError(_("Only an organizing unit hands in paper forms."))
    if route not in FormsRoute.values:
        raise UnitError(_("Paper forms go to: choose one of the two."))
    with transaction.atomic():
        unit = _locked(unit)
        old = unit.paper_forms_route
        if unit.forms_route == route:
            return unit
        unit.forms_route = route
        unit.save(update_fields=["forms_route"])
        record_event(
            action=Action.UNIT_FORMS_ROUTE,
            actor=actor,
            target=unit,
            request=request,
            summary=f"{unit.name} {old} → {route}",
            data={"old": old, "new": route},
        )
    return unit
