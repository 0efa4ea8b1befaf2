"""Two batch builders at the same moment (SPEC D3): each enrollment in one batch only."""

from string import ascii_letters

import pytest
from django.db import connection

from huzhu.payments.models import DeductionItem
from huzhu.payments.services import create_batch
from tests.concurrency import at_once
from tests.payments.helpers import signed


@pytest.mark.django_db(transaction=True)
def test_d3_two_batches_built_at_once_take_each_enrollment_once(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    enrollments = [signed(tree.hutang_union, "并" + ascii_letters[n]) for n in range(40)]
    outcomes = at_once(
        lambda: create_batch(year=2022, actor=None),
        lambda: create_batch(year=2022, actor=None),
        expected=(),
    )
    assert outcomes == ["ok", "ok"]
    taken = list(DeductionItem.objects.values_list("enrollment", flat=True))
    assert sorted(taken) == sorted(e.pk for e in enrollments)
