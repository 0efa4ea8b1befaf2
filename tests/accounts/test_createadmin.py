"""The first district admin of a new installation, from the command line."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from huzhu.accounts.models import User
from huzhu.accounts.roles import Role
from huzhu.audit.models import AuditEvent
from huzhu.org.models import Unit, UnitKind


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("createadmin", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_s4_the_first_admin_gets_a_temporary_password_and_an_enrolment_code(client):
    out, _ = run("wujin_admin", "--display-name", "权益保障部")
    user = User.objects.get(username="wujin_admin")
    assert user.role == Role.DISTRICT_ADMIN and user.must_change_password
    assert user.unit == Unit.objects.get(kind=UnitKind.DISTRICT)
    password = out.split("首次登录后须修改）：")[1].split()[0]
    assert user.check_password(password)
    assert "绑定码" in out
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    signed_in = client.post(
        reverse("console:login"), {"username": "wujin_admin", "password": password}
    )
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_a_taken_username_is_refused_with_exit_2(tree):
    run("wujin_admin")
    with pytest.raises(CommandError) as refused:
        run("wujin_admin")
    assert refused.value.returncode == 2
    assert User.objects.filter(username="wujin_admin").count() == 1
