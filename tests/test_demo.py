import io

import pytest
from django.core.management import call_command

from huzhu.accounts.models import User
from huzhu.members.models import Member
from huzhu.members.rules import clean_id_number
from huzhu.members.services import reveal_identity
from huzhu.org.models import Target, Unit


@pytest.mark.django_db
def test_demo_loads_units_targets_users_and_valid_members_once():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert Unit.objects.filter(kind="organizing").count() == 29
    assert Target.objects.filter(year=2022).count() == 29
    assert Unit.objects.filter(kind="grassroots").count() >= 29 * 2
    assert set(User.objects.values_list("role", flat=True)) == {
        "district_admin",
        "org_admin",
        "grassroots_clerk",
        "agency",
        "finance",
        "auditor",
    }
    assert Member.objects.count() >= 200
    for member in Member.objects.all()[:50]:
        number = reveal_identity(actor=None, member=member)["id_number"]
        assert clean_id_number(number) == number
    text = out.getvalue()
    assert "hutang" in text and "huzhu-demo-2022" in text and "13900000000" in text
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "已有数据" in again.getvalue()
    assert Unit.objects.filter(kind="organizing").count() == 29
