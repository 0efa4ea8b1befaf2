"""Moves and correction requests at the same moment, on PostgreSQL (SQLite serialises
writers, nothing races there): the member row's lock keeps the counts and the limit."""

import pytest
from django.db import connection

from huzhu.members.models import CorrectionRequest, Member
from huzhu.members.selectors import member_count_drift
from huzhu.members.services import (
    OPEN_CORRECTIONS_PER_MEMBER,
    CorrectionError,
    MemberError,
    move_member,
    request_correction,
)
from huzhu.org.models import UnitKind
from huzhu.org.services import create_unit
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
    return at_once(*calls, expected=(MemberError, CorrectionError))


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")


def test_s1_two_moves_of_one_member_at_once_keep_every_count(postgres_only, people, tree):
    third = create_unit(
        actor=None, name="湖塘镇丁公司工会", kind=UnitKind.GRASSROOTS, parent=tree.hutang
    )
    # Both callers hold the member as read before either move: the service must not trust
    # the unit it was given.
    stale_a = Member.objects.get(pk=people.member.pk)
    stale_b = Member.objects.get(pk=people.member.pk)
    outcomes = _at_once(
        lambda: move_member(actor=people.hutang_admin, member=stale_a, unit=tree.hutang_union_b),
        lambda: move_member(actor=people.hutang_admin, member=stale_b, unit=third),
    )
    assert outcomes == ["ok", "ok"]
    assert member_count_drift() == {}
    assert people.member.changes.count() == 2


def test_two_requests_at_once_never_pass_the_limit(postgres_only, people):
    for _ in range(OPEN_CORRECTIONS_PER_MEMBER - 1):
        request_correction(member=people.member, field="phone", text="手机号换了")
    outcomes = _at_once(
        lambda: request_correction(member=people.member, field="phone", text="再提交一次"),
        lambda: request_correction(member=people.member, field="name", text="名字也错了"),
    )
    assert outcomes == ["CorrectionError", "ok"]
    assert CorrectionRequest.objects.count() == OPEN_CORRECTIONS_PER_MEMBER
