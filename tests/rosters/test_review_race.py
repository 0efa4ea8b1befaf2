"""Two clicks on 审核通过 (or one on each button) at the same moment: one decision, one audit
row (SPEC E6). The roster row is locked for the decision."""

import pytest
from django.db import connection

from huzhu.audit.models import AuditEvent
from huzhu.rosters.models import Review
from huzhu.rosters.services import AlreadyDone, ReviewRefused, approve_roster, return_roster
from tests.concurrency import at_once
from tests.rosters.review_helpers import make_roster

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
    return at_once(*calls, expected=(AlreadyDone, ReviewRefused))


@pytest.fixture
def roster(tree, people):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    return make_roster(
        unit=tree.hutang_union, uploader=people.hutang_clerk, members=[people.member]
    )


def test_e6_two_approvals_at_once_are_one(roster, people):
    def approve():
        approve_roster(actor=people.hutang_admin, roster=roster)

    assert _at_once(approve, approve) == ["AlreadyDone", "ok"]
    assert AuditEvent.objects.filter(action="roster.approve").count() == 1


def test_e6_an_approval_and_a_return_at_once_leave_one_decision(roster, people):
    outcomes = _at_once(
        lambda: approve_roster(actor=people.hutang_admin, roster=roster),
        lambda: return_roster(actor=people.district_admin, roster=roster, reason="甲"),
    )
    assert outcomes == ["ReviewRefused", "ok"]
    roster.refresh_from_db()
    active = roster.authorizations.filter(active=True).count()
    assert (roster.review, active) in {(Review.APPROVED, 1), (Review.RETURNED, 0)}
    assert AuditEvent.objects.filter(action__startswith="roster.").count() == 1
