"""Claim statistics (SPEC §12 district admin, D9): figures per benefit, organizing unit and
Shanghai month, approval times, amounts approved and not yet paid, and the loss ratio."""

import datetime
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from statistics import median_low

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huzhu.claims import services
from huzhu.claims.models import Claim, ClaimState
from huzhu.claims.statistics import (
    claim_statistics,
    loss_ratio,
    median_of_histogram,
    percentage,
)
from huzhu.dates import SCHEME_ZONE
from huzhu.ledger.models import EntryKind, LedgerEntry
from tests.claims.helpers import (
    approved,
    hospital_facts,
    illness_facts,
    injury_facts,
    paid_member,
    stay,
    submit,
)

pytestmark = pytest.mark.django_db
S = ClaimState


def _paid(claim):
    """The payout branch moves approved claims to paid; here the state is set directly."""
    Claim.objects.filter(pk=claim.pk).update(state=S.PAID, paid_at=timezone.now())


def _mixed(tree, reviewers):
    """Claims in most states across two organizing units, made through the services."""
    hutang = [paid_member(tree.hutang_union, name="湖" + "甲乙丙丁戊己庚辛"[n]) for n in range(4)]
    niutang = [paid_member(tree.niutang_union, name="牛" + "甲乙丙丁戊己庚辛"[n]) for n in range(2)]
    made = {
        "submitted": submit(hutang[0], hospital_facts(stay("2022-03-01", "6200"))),
        "approved_h": approved(
            hutang[1], hospital_facts(stay("2022-02-01", "6000")), reviewers.agency
        ),
        "approved_w": approved(niutang[0], injury_facts(grade=3), reviewers.agency),
        "second": services.approve(
            claim_id=services.start_review(
                claim_id=submit(hutang[2], illness_facts()).pk, actor=reviewers.district
            ).pk,
            actor=reviewers.district,
        ),
    }
    rejected = submit(niutang[1], hospital_facts(stay("2022-04-01", "3000")))
    services.start_review(claim_id=rejected.pk, actor=reviewers.agency)
    made["rejected"] = services.reject(claim_id=rejected.pk, actor=reviewers.agency, reason="重复")
    returned = submit(hutang[3], hospital_facts(stay("2022-05-01", "6000")))
    services.start_review(claim_id=returned.pk, actor=reviewers.agency)
    made["returned"] = services.return_claim(
        claim_id=returned.pk, actor=reviewers.agency, reason="请补充出院小结"
    )
    paid = approved(hutang[3], injury_facts(grade=3, injured_on="2022-06-01"), reviewers.agency)
    _paid(paid)
    made["paid"] = Claim.objects.get(pk=paid.pk)
    return made


def test_figures_per_benefit_and_in_total_match_the_claims_made(tree, reviewers):
    made = _mixed(tree, reviewers)
    claims = list(Claim.objects.filter(year=2022))
    stats = claim_statistics(year=2022)
    for row in stats.benefits:
        mine = [c for c in claims if c.benefit == row.benefit]
        assert row.submitted == len(mine)
        granted = [c for c in mine if c.state in ("approved", "paid", "recovered")]
        assert row.approved == len(granted)
        assert row.approved_amount == sum((c.amount for c in granted), Decimal(0))
        assert row.rejected == sum(c.state == "rejected" for c in mine)
        assert row.paid == sum(c.state == "paid" for c in mine)
    assert {r.benefit for r in stats.benefits} == {c.benefit for c in claims}
    assert stats.total.submitted == len(claims) == len(made)
    assert stats.total.open == sum(
        c.state in ("submitted", "in_review", "returned", "needs_settlement") for c in claims
    )
    assert stats.total.awaiting_second == 1
    assert stats.total.awaiting_second_amount == made["second"].amount
    # Approved but not paid: the approved claims, not the paid one nor the one awaiting.
    assert stats.total.unpaid == 2
    assert stats.total.unpaid_amount == made["approved_h"].amount + made["approved_w"].amount


def test_figures_per_organizing_unit_and_the_unit_filter(tree, reviewers):
    _mixed(tree, reviewers)
    claims = list(Claim.objects.filter(year=2022))
    stats = claim_statistics(year=2022)
    by_unit = Counter(c.organizing_unit_id for c in claims)
    assert {r.unit_id: r.submitted for r in stats.units} == dict(by_unit)
    assert {r.name for r in stats.units} == {"湖塘镇", "牛塘镇"}
    only = claim_statistics(year=2022, unit=tree.niutang)
    assert only.total.submitted == by_unit[tree.niutang.pk]
    assert [r.unit_id for r in only.units] == [tree.niutang.pk]
    assert only.total.approved_amount == sum(
        (
            c.amount
            for c in claims
            if c.organizing_unit_id == tree.niutang.pk and c.state in ("approved", "paid")
        ),
        Decimal(0),
    )
    assert claim_statistics(year=2021).total.submitted == 0


def test_months_are_shanghai_months_of_submission(tree, reviewers):
    member = paid_member(tree.hutang_union)
    first = submit(member, hospital_facts(stay("2022-02-01", "6000")))
    second = submit(member, hospital_facts(stay("2022-03-01", "6000")))
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai.
    moments = [
        datetime.datetime(2022, 3, 31, 16, 30, tzinfo=datetime.UTC),
        datetime.datetime(2022, 3, 31, 15, 30, tzinfo=datetime.UTC),
    ]
    for claim, moment in zip((first, second), moments, strict=True):
        Claim.objects.filter(pk=claim.pk).update(submitted_at=moment)
    stats = claim_statistics(year=2022)
    expected = Counter(m.astimezone(SCHEME_ZONE).date().replace(day=1) for m in moments)
    assert {m.month: m.submitted for m in stats.months} == dict(expected)
    assert [m.month for m in stats.months] == [datetime.date(2022, 3, 1), datetime.date(2022, 4, 1)]


def test_approval_times_average_and_median_per_benefit(tree, reviewers):
    start = datetime.datetime(2022, 6, 1, 2, 0, tzinfo=datetime.UTC)
    # Hours from submission to decision for four hospitalization claims and one rejection.
    hours = [30, 50, 100, 240]
    members = [
        paid_member(tree.hutang_union, name="时" + "甲乙丙丁戊己庚辛"[n])
        for n in range(len(hours) + 1)
    ]
    claims = [
        approved(m, hospital_facts(stay("2022-02-01", "6000")), reviewers.agency)
        for m in members[:-1]
    ]
    rejected = submit(members[-1], hospital_facts(stay("2022-03-01", "3000")))
    services.start_review(claim_id=rejected.pk, actor=reviewers.agency)
    claims.append(services.reject(claim_id=rejected.pk, actor=reviewers.agency, reason="不符"))
    hours.append(12)
    for claim, h in zip(claims, hours, strict=True):
        Claim.objects.filter(pk=claim.pk).update(
            submitted_at=start, decided_at=start + datetime.timedelta(hours=h)
        )
    open_claim = submit(members[0], hospital_facts(stay("2022-04-01", "6000")))
    assert open_claim.decided_at is None  # not decided: not counted
    row = claim_statistics(year=2022).benefits[0]
    assert row.decided == len(hours)
    average = (Decimal(sum(hours)) / len(hours) / 24).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert row.average_days == average
    assert row.median_days == median_low([h // 24 for h in hours])


def test_median_of_a_histogram_is_the_lower_middle_whole_day():
    assert median_of_histogram({}) is None
    assert median_of_histogram({3: 1}) == 3
    assert median_of_histogram({1: 2, 5: 2}) == median_low([1, 1, 5, 5])
    assert median_of_histogram({0: 1, 2: 3, 9: 1}) == median_low([0, 2, 2, 2, 9])


def _book(kind, amount, year=2022):
    return LedgerEntry.objects.create(
        kind=kind,
        amount=Decimal(amount),
        year=year,
        booked_on=datetime.date(year, 3, 1),
        recorded_at=timezone.now(),
        reference="T",
    )


def test_d9_loss_ratio_is_payouts_net_of_recoveries_over_income_net_of_refunds(tree):
    entries = [
        (EntryKind.FEE_INCOME, "82200.00"),
        (EntryKind.FEE_INCOME, "1234.56"),
        (EntryKind.REFUND, "-100.00"),
        (EntryKind.PAYOUT, "-30000.00"),
        (EntryKind.PAYOUT, "-1500.50"),
        (EntryKind.RECOVERY, "500.00"),
    ]
    for kind, amount in entries:
        _book(kind, amount)
    _book(EntryKind.PAYOUT, "-99999.00", year=2021)  # another year: not counted
    income = sum(Decimal(a) for k, a in entries if k in (EntryKind.FEE_INCOME, EntryKind.REFUND))
    out = -sum(Decimal(a) for k, a in entries if k in (EntryKind.PAYOUT, EntryKind.RECOVERY))
    ratio = loss_ratio(2022)
    assert ratio.net_income == income and ratio.net_payouts == out
    expected = (out * 100 / income).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert ratio.percent == expected
    assert claim_statistics(year=2022).loss_ratio.percent == expected


def test_d9_loss_ratio_is_empty_without_income_and_rounds_half_up(tree):
    assert loss_ratio(2022).percent is None
    _book(EntryKind.PAYOUT, "-10.00")
    assert loss_ratio(2022).percent is None
    assert percentage(Decimal("1"), Decimal("8")) == Decimal("12.50")
    assert percentage(Decimal("1"), Decimal("800")) == Decimal("0.13")  # 0.125 → 0.13


def _queries(year=2022):
    with CaptureQueriesContext(connection) as captured:
        claim_statistics(year=year)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_claims(
    tree, reviewers, django_assert_num_queries
):
    member = paid_member(tree.hutang_union)
    submit(member, hospital_facts(stay("2022-02-01", "6000")))
    with django_assert_num_queries(5):
        claim_statistics(year=2022)
    _mixed(tree, reviewers)
    for n in range(3):
        other = paid_member(tree.niutang_union, name="多" + "甲乙丙丁戊己庚辛"[n])
        approved(other, hospital_facts(stay("2022-03-01", "6000")), reviewers.agency)
    with django_assert_num_queries(5):
        claim_statistics(year=2022)
    with django_assert_num_queries(5):
        claim_statistics(year=2022, unit=tree.hutang)
