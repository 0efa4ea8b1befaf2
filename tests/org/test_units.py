"""SPEC T1: district → organizing units → grassroots unions → (optionally) employers."""

import pytest

from huzhu.members.models import InsuranceScope, Member
from huzhu.members.services import MemberError, MemberInput, create_member
from huzhu.org.models import UnitKind
from huzhu.org.services import UnitError, add_unit, create_unit
from tests.conftest import make_id_number


@pytest.mark.django_db
def test_t1_each_kind_sits_under_the_kind_above_it(tree):
    employer = create_unit(
        actor=None, name="甲公司", kind=UnitKind.EMPLOYER, parent=tree.hutang_union
    )
    assert employer.path.startswith(tree.hutang_union.path)
    assert employer.organizing_unit() == tree.hutang
    with pytest.raises(UnitError):
        create_unit(actor=None, name="越级工会", kind=UnitKind.GRASSROOTS, parent=tree.district)
    with pytest.raises(UnitError):
        create_unit(actor=None, name="第二个区", kind=UnitKind.DISTRICT, parent=None)
    with pytest.raises(UnitError):
        create_unit(actor=None, name="无上级", kind=UnitKind.ORGANIZING, parent=None)


@pytest.mark.django_db
def test_t1_a_subtree_is_a_path_prefix(tree):
    assert tree.hutang_union.is_within(tree.hutang)
    assert tree.hutang_union.is_within(tree.district)
    assert not tree.niutang_union.is_within(tree.hutang)


def register(tree, insurance_scope: str):
    return create_member(
        actor=None,
        unit=tree.hutang_union,
        data=MemberInput(
            name="王五",
            id_number=make_id_number(),
            phone="13700001111",
            union_card="6231660000000009999",
            insurance_scope=insurance_scope,
        ),
    )


@pytest.mark.django_db
def test_m7_insurance_scope_is_recorded_as_given(tree):
    register(tree, InsuranceScope.OTHER_PROVINCE)
    assert Member.objects.get().insurance_scope == InsuranceScope.OTHER_PROVINCE


@pytest.mark.django_db
def test_m7_an_unknown_insurance_scope_is_refused(tree):
    with pytest.raises(MemberError) as error:
        register(tree, "mars")
    assert error.value.errors == {"insurance_scope": "医保参保地无效。"}
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_t1_a_unit_added_from_the_console_takes_the_kind_below_its_parent(people, tree):
    union = add_unit(actor=people.hutang_admin, name="湖塘镇丁公司工会", parent=tree.hutang)
    employer = add_unit(actor=people.hutang_admin, name="丁公司", parent=union)
    assert (union.kind, employer.kind) == (UnitKind.GRASSROOTS, UnitKind.EMPLOYER)
    with pytest.raises(UnitError) as below_employer:
        add_unit(actor=people.hutang_admin, name="车间", parent=employer)
    assert str(below_employer.value) == "该类单位不能设在所选上级单位之下。"
    with pytest.raises(UnitError) as twice:
        add_unit(actor=people.hutang_admin, name="湖塘镇丁公司工会", parent=tree.hutang)
    assert str(twice.value) == "该处已有同名单位。"
