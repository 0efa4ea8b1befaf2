"""Reads of staff accounts are scoped like everything else (SPEC S1)."""

import pytest
from django.http import Http404

from huzhu.accounts.selectors import staff_rows, staff_units, staff_user


@pytest.mark.django_db
def test_s1_an_organizing_admin_reads_only_the_staff_under_their_unit(people, tree):
    names = [row.user.username for row in staff_rows(user=people.hutang_admin)]
    assert names == ["hutang", "hutang_clerk"]
    with pytest.raises(Http404):
        staff_user(user=people.hutang_admin, pk=people.niutang_admin.pk)
    assert tree.niutang not in staff_units(user=people.hutang_admin)


@pytest.mark.django_db
def test_s1_the_district_admin_reads_every_staff_user(people):
    names = {row.user.username for row in staff_rows(user=people.district_admin)}
    assert names == {"hutang", "hutang_clerk", "niutang", "district", "auditor"}
    assert staff_user(user=people.district_admin, pk=people.niutang_admin.pk).username == "niutang"
