"""The demo's roster uploads: one of each review state, with their history (SPEC E6)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from huzhu.accounts.models import User
from huzhu.audit.models import AuditEvent
from huzhu.enrollment.models import Authorization, State
from huzhu.rosters.models import Review, RosterUpload
from huzhu.rosters.selectors import deductible_q


@pytest.mark.django_db
def test_the_demo_holds_rosters_approved_awaiting_and_returned(client):
    call_command("demo", stdout=io.StringIO())
    rosters = {roster.review: roster for roster in RosterUpload.objects.all()}
    assert set(rosters) == {Review.APPROVED, Review.AWAITING, Review.RETURNED}
    approved = rosters[Review.APPROVED]
    assert approved.collected_on is not None
    assert approved.collected_count == approved.imported > 0
    assert approved.collected_by.username == "agency"
    assert approved.uploaded_by.username == "hutang_clerk"
    deductible = Authorization.objects.filter(deductible_q())
    assert deductible.filter(roster=approved).count() == approved.imported
    assert not deductible.filter(roster=rosters[Review.AWAITING]).exists()
    returned = rosters[Review.RETURNED]
    assert not returned.authorizations.filter(active=True).exists()
    assert {a.enrollment.state for a in returned.authorizations.all()} == {State.REVOKED}
    assert AuditEvent.objects.filter(action__startswith="roster.").count() == 3
    client.force_login(User.objects.get(username="hutang"))
    listing = client.get(reverse("console:rosters")).content.decode()
    assert "待审核 1 份" in listing
    for roster in rosters.values():
        assert roster.file.original_name in listing
        page = client.get(reverse("console:roster", args=[roster.pk])).content.decode()
        assert roster.get_review_display() in page
        if roster.review == Review.RETURNED:
            assert "第2行职工未在授权书上签名" in page
