import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from huzhu.accounts.models import User
from huzhu.enrollment.models import Authorization, Enrollment, State
from huzhu.ledger import reconcile
from huzhu.members.models import Member
from huzhu.members.rules import clean_id_number
from huzhu.members.services import reveal_identity
from huzhu.org.models import Target, Unit
from huzhu.org.selectors import completed_counts
from huzhu.payments.models import DeductionBatch, DeductionItem, Refund


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
    before = Enrollment.objects.count()
    assert before > 0
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "已有数据" in again.getvalue()
    assert Unit.objects.filter(kind="organizing").count() == 29
    assert Enrollment.objects.count() == before


@pytest.mark.django_db
def test_demo_holds_a_mostly_paid_2021_and_a_2022_in_every_state_and_channel():
    call_command("demo", stdout=io.StringIO())
    members = Member.objects.count()
    by_2021 = Counter(Enrollment.objects.filter(year=2021).values_list("state", flat=True))
    assert sum(by_2021.values()) >= members * 0.8
    assert by_2021[State.PAID] >= sum(by_2021.values()) * 0.8
    assert set(by_2021) <= {State.PAID, State.LAPSED}
    by_2022 = Counter(Enrollment.objects.filter(year=2022).values_list("state", flat=True))
    for state in (State.AUTHORIZED, State.PAID, State.FAILED, State.REVOKED):
        assert by_2022[state] > 0, state
    channels = Counter(
        Authorization.objects.filter(enrollment__year=2022).values_list("channel", flat=True)
    )
    assert {"online", "paper", "renewal"} <= set(channels)
    # Every renewal of 2022 stands on a paid 2021 in the same units (SPEC E4).
    renewed = Enrollment.objects.filter(year=2022, authorizations__channel="renewal")
    for row in renewed:
        last = Enrollment.objects.get(member=row.member_id, year=2021)
        assert last.state == State.PAID
        assert last.grassroots_union_id == row.grassroots_union_id
    # The dashboard's completed counts are the paid enrollments.
    assert sum(completed_counts(year=2022).values()) == by_2022[State.PAID]
    # The portal's demo phone has a paid 2021 and a 2022 awaiting deduction.
    first = Member.objects.order_by("pk")[0]
    assert dict(first.enrollments.values_list("year", "state")) == {
        2021: State.PAID,
        2022: State.AUTHORIZED,
    }
    # Payments went through collective deductions the simulated bank answered (SPEC D3–D9):
    # one settled batch a year, failures with the bank's reason, a refund to make, and a
    # ledger that balances with the batches.
    assert sorted(DeductionBatch.objects.values_list("year", "state")) == [
        (2021, "settled"),
        (2022, "settled"),
    ]
    failed = DeductionItem.objects.filter(batch__year=2022, outcome="failed")
    assert failed.count() == by_2022[State.FAILED]
    assert all(item.bank_message for item in failed)
    assert Refund.objects.filter(made_at__isnull=True).count() == 1
    assert all(check.balanced for check in reconcile.batch_checks())
    assert all(day.balanced for day in reconcile.day_checks())


@pytest.mark.django_db
def test_demo_splits_some_targets_and_spreads_payments_over_weeks():
    from huzhu.org.models import UnionTarget
    from huzhu.org.selectors import weekly_trend

    call_command("demo", stdout=io.StringIO())
    shares = UnionTarget.objects.filter(year=2022)
    assert set(shares.values_list("unit__parent__name", flat=True)) == {
        "湖塘镇",
        "牛塘镇",
        "经开区",
    }
    hutang = User.objects.get(username="hutang")
    assert shares.filter(unit__parent__name="湖塘镇").first().set_by == hutang
    trend = weekly_trend(user=hutang, year=2022)
    assert len([w for w in trend if w.paid]) >= 3
    paid = Enrollment.objects.filter(year=2022, state=State.PAID, organizing_unit=hutang.unit)
    assert trend[-1].cumulative == paid.count()


@pytest.mark.django_db
def test_demo_holds_2022_claims_in_every_review_state_with_documents_and_statistics(
    settings, tmp_path
):
    from decimal import Decimal

    from huzhu.claims.models import Claim, ClaimDocument, ClaimStay
    from huzhu.claims.services import claim_signals
    from huzhu.claims.statistics import claim_statistics

    settings.HUZHU_FILES_DIR = tmp_path / "files"
    call_command("demo", stdout=io.StringIO())
    claims = Claim.objects.filter(year=2022)
    states = Counter(claims.values_list("state", flat=True))
    for state in ("submitted", "in_review", "returned", "rejected", "approved", "awaiting_second"):
        assert states[state] >= 1, state
    # Every claim has the documents its benefit needs, as photos and PDFs (SPEC C1).
    kinds = set(ClaimDocument.objects.values_list("file__content_type", flat=True))
    assert kinds == {"image/jpeg", "application/pdf"}
    assert all(claim.documents.exists() for claim in claims)
    in_review = claims.get(state="in_review")
    assert "duplicate_invoice" in {s.code for s in claim_signals(in_review)}
    returned = claims.get(state="returned")
    assert returned.events.filter(to_state="returned").exclude(reason="").exists()
    waiting = claims.get(state="awaiting_second")
    assert waiting.benefit == "critical_illness" and waiting.amount == Decimal("5000.00")
    # B-H4: one member's two stays claimed separately; the second pays the tier's top-up.
    twice = (
        ClaimStay.objects.values("member")
        .annotate(n=Count("claim", distinct=True))
        .filter(n__gte=2, claim__state="paid")
    )
    assert twice.exists()
    member = twice[0]["member"]
    amounts = list(
        claims.filter(member=member).order_by("event_on").values_list("amount", flat=True)
    )
    assert len(amounts) == 2 and all(a > 0 for a in amounts)
    # Finance paid the claims approved before its payout batch; the last one waits (C4); a
    # finding after payment opened a recovery (B-X3).
    assert states["paid"] >= 2 and states["recovered"] == 1
    assert claims.get(state="recovered").recoveries.get().amount == Decimal("500.00")
    # The claims are dated in 2022, and the statistics see them all.
    assert all(c.submitted_at.year == 2022 for c in claims)
    stats = claim_statistics(year=2022)
    assert stats.total.submitted == claims.count()
    assert stats.total.awaiting_second == 1 and stats.decided >= 3
    # Loading again changes nothing.
    before = claims.count()
    call_command("demo", stdout=io.StringIO())
    assert Claim.objects.count() == before
