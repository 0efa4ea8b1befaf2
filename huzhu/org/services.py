"""Writes to the union tree and the targets, each in one transaction with its audit row."""

from django.db import transaction
from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.org.models import CHILD_KINDS, Target, Unit, UnitKind
from huzhu.org.rules import TargetFile

DISTRICT_NAME = "武进区总工会"


class UnitError(Exception):
    pass


def create_unit(
    *, actor, name: str, kind: str, parent: Unit | None, position: int = 0, request=None
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
        unit = Unit.objects.create(name=name, kind=kind, parent=parent, position=position, path="")
        # The path needs the new id; the row is written twice inside one transaction.
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])
        record_event(
            action=Action.UNIT_CREATE, actor=actor, target=unit, request=request, summary=unit.name
        )
    return unit


def district() -> Unit:
    """The root of the tree, created on first use."""
    root = Unit.objects.filter(kind=UnitKind.DISTRICT).first()
    if root is None:
        root = create_unit(actor=None, name=DISTRICT_NAME, kind=UnitKind.DISTRICT, parent=None)
    return root


def import_targets(*, actor, parsed: TargetFile, source: str = "", request=None) -> dict:
    """Apply a parsed 附件1 (SPEC T2, T3, T5): organizing units are created when new, the
    plan year's targets and the previous year's targets and completed counts are set.
    All or nothing: the file was fully validated before this is called."""
    year = parsed.year
    created = updated = 0
    with transaction.atomic():
        root = district()
        existing = {u.name: u for u in Unit.objects.filter(parent=root)}
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
                created += 1
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
            updated += 1
        record_event(
            action=Action.TARGETS_IMPORT,
            actor=actor,
            target=root,
            request=request,
            summary=_("Targets for %(year)s imported from %(source)s: %(count)s units.")
            % {"year": year, "source": source, "count": updated},
            data={"year": year, "units": updated, "created_units": created, "source": source},
        )
    return {"year": year, "units": updated, "created_units": created}
