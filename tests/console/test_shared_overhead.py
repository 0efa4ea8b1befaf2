"""What every console page costs before its own work: the session, and the user with their
unit in one query (huzhu.accounts.backends). The counts are exact so that a query added to
every page shows here; lower them, with the reason, when one goes away."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huzhu.org.models import Target
from tests.conftest import sign_in


def _sql(client, name):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_the_signed_in_user_comes_with_their_unit_in_one_query(client, tree, people):
    Target.objects.create(unit=tree.hutang, year=2022, target=600, imported_completed=500)
    sign_in(client, people.hutang_admin)
    for name in ("console:dashboard", "console:members"):
        sql = _sql(client, name)
        (user_query,) = [q for q in sql if 'FROM "accounts_user"' in q]
        assert 'JOIN "org_unit"' in user_query
        unit_by_id = f'"org_unit"."id" = {tree.hutang.pk}'
        assert not [q for q in sql if unit_by_id in q and 'FROM "org_unit"' in q]


@pytest.mark.django_db
def test_console_pages_query_counts(client, tree, people):
    Target.objects.create(unit=tree.hutang, year=2022, target=600, imported_completed=500)
    sign_in(client, people.hutang_admin)
    # Session, user with unit; targets, units shown, members in scope; for an admin the
    # members waiting for a grassroots union (SPEC §7a); the weekly trend; the organizing
    # unit's grassroots unions with their shares, and their paid counts. Was 5 before the
    # held count, the trend and the unions; 6 before that: the unit was a query of its own.
    assert len(_sql(client, "console:dashboard")) == 9
    # Session, user with unit; the page of members, members in scope, the units to jump
    # to. Was 6, for the same reason.
    assert len(_sql(client, "console:members")) == 5


@pytest.mark.django_db
def test_a_deactivated_user_is_signed_out_by_the_backend(client, tree, people):
    sign_in(client, people.hutang_admin)
    people.hutang_admin.is_active = False
    people.hutang_admin.save()
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 302
    assert reverse("console:login") in response["Location"]
