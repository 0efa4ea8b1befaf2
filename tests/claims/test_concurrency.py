"""Two decisions for one member at the same moment (SPEC B-H4, §14), on PostgreSQL."""

from decimal import Decimal

import pytest
from django.db import connection

from huzhu.accounts.roles import Role
from huzhu.claims import services
from huzhu.claims.models import Claim
from tests.claims.helpers import hospital_facts, paid_member, stay, submit
from tests.concurrency import at_once
from tests.conftest import make_user


@pytest.mark.django_db(transaction=True)
def test_b_h4_two_claims_of_one_member_approved_at_once_pay_the_tier_of_the_total_once(
    tree, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    first_reviewer = make_user("race_a", Role.AGENCY, tree.district)
    second_reviewer = make_user("race_b", Role.AGENCY, tree.district)
    member = paid_member(tree.hutang_union)
    first = submit(member, hospital_facts(stay("2022-02-01", "6000")))
    second = submit(member, hospital_facts(stay("2022-03-01", "6000")))
    services.start_review(claim_id=first.pk, actor=first_reviewer)
    services.start_review(claim_id=second.pk, actor=second_reviewer)
    outcomes = at_once(
        lambda: services.approve(claim_id=first.pk, actor=first_reviewer),
        lambda: services.approve(claim_id=second.pk, actor=second_reviewer),
        expected=(),
    )
    assert outcomes == ["ok", "ok"]
    # Each alone would be 1000; together the year's 12000 is the 1500 tier.
    assert services.already_paid(
        member_id=member.pk, year=2022, benefit="hospitalization"
    ) == Decimal("1500.00")


@pytest.mark.django_db(transaction=True)
def test_c2_the_same_claim_approved_twice_at_once_is_granted_once(tree, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    reviewer = make_user("race_c", Role.AGENCY, tree.district)
    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay("2022-02-01", "6000")))
    services.start_review(claim_id=claim.pk, actor=reviewer)
    outcomes = at_once(
        lambda: services.approve(claim_id=claim.pk, actor=reviewer),
        lambda: services.approve(claim_id=claim.pk, actor=reviewer),
        expected=(services.ClaimError,),
    )
    assert outcomes == ["ClaimError", "ok"]
    assert services.already_paid(
        member_id=member.pk, year=2022, benefit="hospitalization"
    ) == Decimal("1000.00")


@pytest.mark.django_db(transaction=True)
def test_c1_the_same_submission_sent_twice_at_once_makes_one_claim(tree, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    member = paid_member(tree.hutang_union)
    facts = hospital_facts(stay("2022-02-01", "6000"))
    outcomes = at_once(
        lambda: submit(member, facts, invoices=["FP-1"]),
        lambda: submit(member, facts, invoices=["FP-1"]),
        expected=(),
    )
    assert outcomes == ["ok", "ok"]
    assert Claim.objects.filter(member=member).count() == 1
