"""SPEC T3 with D5: the dashboard's completed counts follow the bank's result file at once."""

import re

import pytest
from django.urls import reverse

from huzhu.org.models import Target
from huzhu.payments.services import apply_result, create_batch
from tests.conftest import sign_in
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db


def completed_of(html: str, unit: str) -> int:
    """The 完成数 cell of the unit's row in the dashboard's table."""
    row = re.search(rf">{unit}</a></td><td class=\"num\">\d*</td><td class=\"num\">(\d+)<", html)
    assert row, unit
    return int(row.group(1))


def test_t3_d5_the_dashboard_counts_the_debits_of_a_result_file_at_once(client, tree, people):
    Target.objects.create(unit=tree.hutang, year=2022, target=10)
    Target.objects.create(unit=tree.niutang, year=2022, target=10)
    first = signed(tree.hutang_union, "赵一")
    signed(tree.hutang_union, "钱二")
    failing = signed(tree.niutang_union, "孙三")
    sign_in(client, people.district_admin)
    before = client.get(reverse("console:dashboard") + "?year=2022").content.decode()
    assert (completed_of(before, "湖塘镇"), completed_of(before, "牛塘镇")) == (0, 0)

    batch = create_batch(year=2022, actor=None)
    apply_result(content=result_file(batch, {failing.pk: ("1001", "余额不足")}), actor=None)

    after = client.get(reverse("console:dashboard") + "?year=2022").content.decode()
    assert (completed_of(after, "湖塘镇"), completed_of(after, "牛塘镇")) == (2, 0)
    first.refresh_from_db()
    assert first.state == "paid"
