"""A district admin corrects the tree: rename, move, deactivate, reactivate (issue 6)."""

import pytest

from huzhu.audit.models import AuditEvent
from huzhu.members.models import Member
from huzhu.members.selectors import members_for
from huzhu.org.models import Target, Unit, UnitKind
from huzhu.org.selectors import district_organizing_units, district_target_report, progress
from huzhu.org.services import (
    UnitError,
    create_unit,
    deactivate_unit,
    move_unit,
    reactivate_unit,
    rename_unit,
)
from tests.conftest import add_member


@pytest.mark.django_db
def test_rename_is_audited_with_the_old_and_new_name(tree, people):
    rename_unit(actor=people.district_admin, unit=tree.niutang, name=" 牛塘镇总工会 ")
    assert Unit.objects.get(pk=tree.niutang.pk).name == "牛塘镇总工会"
    event = AuditEvent.objects.get(action="unit.rename")
    assert event.data == {"old": "牛塘镇", "new": "牛塘镇总工会"}
    assert event.actor_user == people.district_admin


@pytest.mark.django_db
def test_rename_to_a_sibling_name_is_refused(tree, people):
    with pytest.raises(UnitError):
        rename_unit(actor=people.district_admin, unit=tree.niutang, name="湖塘镇")


@pytest.mark.django_db
def test_t1_s1_moving_a_union_moves_its_subtree_and_members_in_one_go(tree, people):
    employer = create_unit(
        actor=None, name="甲公司", kind=UnitKind.EMPLOYER, parent=tree.hutang_union
    )
    moved = move_unit(actor=people.district_admin, unit=tree.hutang_union, parent=tree.niutang)
    assert moved.path == f"{tree.niutang.path}{moved.pk}/" and moved.parent == tree.niutang
    assert Unit.objects.get(pk=employer.pk).path == f"{moved.path}{employer.pk}/"
    member = Member.objects.get(pk=people.member.pk)
    assert member.unit_path == moved.path
    # Scope follows the new paths: 牛塘镇's admin now sees the member, 湖塘镇's does not.
    assert members_for(user=people.niutang_admin).filter(pk=member.pk).exists()
    assert not members_for(user=people.hutang_admin).filter(pk=member.pk).exists()
    # The clerk of the moved union works under 牛塘镇 now.
    clerk_unit = Unit.objects.get(pk=people.hutang_clerk.unit_id)
    assert clerk_unit.organizing_unit() == tree.niutang
    event = AuditEvent.objects.get(action="unit.move")
    assert event.data["from"] == "湖塘镇" and event.data["to"] == "牛塘镇"
    assert event.data["units"] == 2 and event.data["members"] == 1


@pytest.mark.django_db
def test_a_unit_moves_only_under_the_kind_above_it(tree, people):
    with pytest.raises(UnitError):
        move_unit(actor=people.district_admin, unit=tree.hutang_union, parent=tree.niutang_union)
    with pytest.raises(UnitError):
        move_unit(actor=people.district_admin, unit=tree.hutang, parent=tree.niutang)
    assert not AuditEvent.objects.filter(action="unit.move").exists()


@pytest.mark.django_db
def test_a_deactivated_unit_leaves_reports_totals_and_choices_but_keeps_its_targets(tree, people):
    phantom = create_unit(
        actor=None, name="牛塘町", kind=UnitKind.ORGANIZING, parent=tree.district, position=30
    )
    Target.objects.create(unit=tree.hutang, year=2022, target=6000)
    Target.objects.create(unit=phantom, year=2022, target=3000)
    assert district_target_report(year=2022).total.target == 9000
    deactivate_unit(actor=people.district_admin, unit=phantom)
    assert district_target_report(year=2022).total.target == 6000
    assert phantom not in district_organizing_units()
    assert [r.unit for r in progress(year=2022, user=people.district_admin)] == [
        tree.hutang,
        tree.niutang,
    ]
    assert Target.objects.filter(unit=phantom).exists()
    assert AuditEvent.objects.filter(action="unit.deactivate", object_id=str(phantom.pk)).exists()
    reactivate_unit(actor=people.district_admin, unit=phantom)
    assert district_target_report(year=2022).total.target == 9000
    assert AuditEvent.objects.filter(action="unit.reactivate").count() == 1


@pytest.mark.django_db
def test_a_unit_with_active_units_or_staff_under_it_cannot_be_deactivated(tree, people):
    with pytest.raises(UnitError) as error:
        deactivate_unit(actor=people.district_admin, unit=tree.hutang)
    assert "2" in str(error.value)
    with pytest.raises(UnitError):
        deactivate_unit(actor=people.district_admin, unit=tree.hutang_union)  # its clerk
    with pytest.raises(UnitError):
        deactivate_unit(actor=people.district_admin, unit=tree.district)
    empty = create_unit(actor=None, name="空工会", kind=UnitKind.GRASSROOTS, parent=tree.niutang)
    add_member(empty, union_card="6231660000000077777")
    deactivate_unit(actor=people.district_admin, unit=empty)
    # Its members keep their history; nobody can add units under it any more.
    assert Member.objects.filter(unit=empty).count() == 1
    with pytest.raises(UnitError):
        create_unit(actor=None, name="新公司", kind=UnitKind.EMPLOYER, parent=empty)


@pytest.mark.django_db
def test_a_unit_under_a_deactivated_one_cannot_be_reactivated_first(tree, people):
    employer = create_unit(
        actor=None, name="乙公司", kind=UnitKind.EMPLOYER, parent=tree.niutang_union
    )
    deactivate_unit(actor=people.district_admin, unit=employer)
    deactivate_unit(actor=people.district_admin, unit=tree.niutang_union)
    with pytest.raises(UnitError):
        reactivate_unit(actor=people.district_admin, unit=employer)
    reactivate_unit(actor=people.district_admin, unit=tree.niutang_union)
    assert reactivate_unit(actor=people.district_admin, unit=employer).active
