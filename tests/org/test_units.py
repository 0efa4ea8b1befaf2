"""SPEC T1: district → organizing units → grassroots unions → (optionally) employers."""

import pytest

from huzhu.members.models import InsuranceScope
from huzhu.org.models import UnitKind
from huzhu.org.services import UnitError, create_unit
from tests.conftest import add_member


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


@pytest.mark.django_db
def test_m7_insurance_scope_is_recorded(tree):
    member = add_member(tree.hutang_union)
    assert member.insurance_scope == InsuranceScope.JIANGSU
    assert InsuranceScope.OTHER_PROVINCE in InsuranceScope.values
