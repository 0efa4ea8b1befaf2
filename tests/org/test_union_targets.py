"""Targets per grassroots union and the weekly trend (SPEC T3, T4, T5): selectors,
service and `huzhu targets report`."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.dates import SCHEME_ZONE
from huzhu.enrollment import services as enrollment
from huzhu.enrollment.models import Enrollment, EnrollmentChange
from huzhu.org.models import Target, UnionTarget
from huzhu.org.rules import parse_union_targets
from huzhu.org.selectors import (
    district_union_breakdown,
    union_breakdown,
    weekly_trend,
)
from huzhu.org.services import UnionTargetsRefused, set_union_targets
from tests.conftest import add_member

SIGNED = datetime.date(2021, 11, 1)  # inside the 2022 paper window


def paid_members(unit, count, *, start=0):
    """`count` members of `unit` paid for 2022; returns their enrollment ids."""
    ids = []
    for i in range(start, start + count):
        member = add_member(
            unit,
            name="周" + "一二三四五六七八九十"[i % 10],
            phone=f"136{i:08d}",
            union_card=f"62316699{i:011d}",
        )
        signed = enrollment.sign(
            member=member,
            year=2022,
            channel="paper",
            signed_on=SIGNED,
            source="console",
            actor=None,
        )
        ids.append(signed.enrollment.pk)
    enrollment.mark_paid_many(enrollment_ids=ids, actor=None)
    return ids


def paid_at(ids, moment):
    EnrollmentChange.objects.filter(enrollment_id__in=ids, to_state="paid").update(
        changed_at=moment
    )


@pytest.mark.django_db
def test_t3_t4_breakdown_counts_paid_per_union_with_share_target_and_rate(tree, people):
    paid_members(tree.hutang_union, 3)
    paid_members(tree.hutang_union_b, 1, start=10)
    Target.objects.create(unit=tree.hutang, year=2022, target=10)
    UnionTarget.objects.create(unit=tree.hutang_union, year=2022, target=7)
    breakdown = union_breakdown(user=people.hutang_admin, year=2022, organizing=tree.hutang)
    rows = {r.unit.name: (r.target, r.completed, r.rate) for r in breakdown.rows}
    # T4: 3 / 7 = 42.857… → 42.86%; no share target → empty rate.
    assert rows == {"湖塘镇甲公司工会": (7, 3, "42.86%"), "湖塘镇乙公司工会": (None, 1, "")}
    assert breakdown.target == 10 and breakdown.share_sum == 7
    assert breakdown.shares_below_target


@pytest.mark.django_db
def test_t3_a_clerk_sees_only_the_row_of_their_own_union(tree, people):
    paid_members(tree.hutang_union_b, 2)
    breakdown = union_breakdown(user=people.hutang_clerk, year=2022, organizing=tree.hutang)
    assert [r.unit.name for r in breakdown.rows] == ["湖塘镇甲公司工会"]
    assert breakdown.completed == 0


@pytest.mark.django_db
def test_t3_trend_is_weekly_and_cumulative_by_shanghai_date(tree, people):
    first = paid_members(tree.hutang_union, 2)
    late = paid_members(tree.hutang_union_b, 1, start=10)
    other = paid_members(tree.niutang_union, 1, start=20)
    # Sunday 2021-11-07 23:30 in Shanghai is 15:30 UTC: ISO week 44, not 45.
    paid_at(first, datetime.datetime(2021, 11, 7, 23, 30, tzinfo=SCHEME_ZONE))
    paid_at(late, datetime.datetime(2021, 11, 22, 9, 0, tzinfo=SCHEME_ZONE))
    paid_at(other, datetime.datetime(2021, 11, 8, 9, 0, tzinfo=SCHEME_ZONE))
    rows = weekly_trend(user=people.hutang_admin, year=2022)
    assert [(r.label, r.paid, r.cumulative) for r in rows] == [
        ("2021-W44", 2, 2),
        ("2021-W45", 0, 2),
        ("2021-W46", 0, 2),
        ("2021-W47", 1, 3),
    ]
    district = weekly_trend(user=people.district_admin, year=2022)
    assert district[-1].cumulative == 4


@pytest.mark.django_db
def test_t3_trend_counts_an_enrollment_paid_twice_once(tree, people):
    (one,) = paid_members(tree.hutang_union, 1)
    paid_members(tree.hutang_union, 1, start=5)
    EnrollmentChange.objects.create(enrollment_id=one, from_state="paid", to_state="paid")
    rows = weekly_trend(user=people.hutang_admin, year=2022)
    assert rows[-1].cumulative == 2


@pytest.mark.django_db
def test_breakdown_and_trend_queries_do_not_grow_with_members(tree, people):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            union_breakdown(user=people.hutang_admin, year=2022, organizing=tree.hutang)
            weekly_trend(user=people.hutang_admin, year=2022)
        return len(captured)

    paid_members(tree.hutang_union, 2)
    few = queries()
    paid_members(tree.hutang_union_b, 15, start=100)
    assert queries() == few


@pytest.mark.django_db
def test_split_is_saved_audited_and_cleared_by_an_empty_box(tree, people):
    set_union_targets(
        actor=people.hutang_admin,
        organizing=tree.hutang,
        year=2022,
        entries={tree.hutang_union.pk: "4,000", tree.hutang_union_b.pk: "２０００"},
    )
    shares = dict(UnionTarget.objects.values_list("unit__name", "target"))
    assert shares == {"湖塘镇甲公司工会": 4000, "湖塘镇乙公司工会": 2000}
    assert UnionTarget.objects.get(unit=tree.hutang_union).set_by == people.hutang_admin
    event = AuditEvent.objects.get(action=Action.UNION_TARGETS_SET)
    assert event.data["changes"]["湖塘镇甲公司工会"] == [None, 4000]
    set_union_targets(
        actor=people.hutang_admin,
        organizing=tree.hutang,
        year=2022,
        entries={tree.hutang_union.pk: "", tree.hutang_union_b.pk: "2000"},
    )
    assert list(UnionTarget.objects.values_list("unit__name", flat=True)) == ["湖塘镇乙公司工会"]
    assert AuditEvent.objects.filter(action=Action.UNION_TARGETS_SET).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["-5", "2.5", "abc", "1000001", "1e9"])
def test_split_refuses_bad_numbers_naming_the_union_and_writes_nothing(tree, people, typed):
    with pytest.raises(UnionTargetsRefused) as refused:
        set_union_targets(
            actor=people.hutang_admin,
            organizing=tree.hutang,
            year=2022,
            entries={tree.hutang_union.pk: "10", tree.hutang_union_b.pk: typed},
        )
    assert len(refused.value.errors) == 1
    assert "湖塘镇乙公司工会" in refused.value.errors[0]
    assert not UnionTarget.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.UNION_TARGETS_SET).exists()


def test_parse_union_targets_keeps_zero_and_empty():
    shares, errors = parse_union_targets([(1, "甲", "0"), (2, "乙", " ")])
    assert shares == {1: 0, 2: None} and errors == []


@pytest.mark.django_db
def test_split_ignores_units_of_another_organizing_unit(tree, people):
    set_union_targets(
        actor=people.hutang_admin,
        organizing=tree.hutang,
        year=2022,
        entries={tree.niutang_union.pk: "50"},
    )
    assert not UnionTarget.objects.exists()


def run(*args) -> str:
    out = io.StringIO()
    call_command("targets", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_t3_t4_command_prints_one_organizing_units_breakdown(tree, people, capsys):
    paid_members(tree.hutang_union, 3)
    Target.objects.create(unit=tree.hutang, year=2022, target=10)
    UnionTarget.objects.create(unit=tree.hutang_union, year=2022, target=4)
    UnionTarget.objects.create(unit=tree.hutang_union_b, year=2022, target=2)
    run("report", "--year", "2022", "--unit", "湖塘镇")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2022年湖塘镇目标任务分解"
    assert lines[1].split() == ["序号", "基层工会", "任务数", "完成数", "完成率%"]
    # Unions in 附件1 order (position, then name).
    assert lines[2].split() == ["1", "湖塘镇乙公司工会", "2", "0", "0.00%"]
    assert lines[3].split() == ["2", "湖塘镇甲公司工会", "4", "3", "75.00%"]
    assert lines[4].split() == ["合计", "6", "3"]
    assert "区总工会下达任务数：10" in lines[5]
    assert "低于区总工会下达的 10" in lines[6]


@pytest.mark.django_db
def test_command_refuses_an_unknown_unit(tree):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有名为"):
        run("report", "--year", "2022", "--unit", "不存在镇")


@pytest.mark.django_db
def test_t5_report_of_a_year_without_targets_shows_last_years_columns(tree, people, capsys):
    """SPEC T5: the 2023 report before 2023 targets exist: 2022's targets and paid counts
    (T3: 2022 holds enrollments), the 2023 column empty, and the 合计 row."""
    paid_members(tree.hutang_union, 3)
    Target.objects.create(unit=tree.hutang, year=2022, target=6)
    Target.objects.create(unit=tree.niutang, year=2022, target=4)
    run("report", "--year", "2023")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2023年互助保障目标任务清单"
    assert lines[1].split() == [
        "序号",
        "所属单位",
        "2022年任务数",
        "2022年完成数",
        "完成率%",
        "2023年计划任务数",
    ]
    assert lines[2].split() == ["9", "湖塘镇", "6", "3", "50.00%"]
    assert lines[3].split() == ["10", "牛塘镇", "4", "0", "0.00%"]
    assert lines[4].split() == ["合计", "10", "3"]


@pytest.mark.django_db
def test_district_breakdown_lists_paid_enrollments_without_a_union(tree, people):
    ids = paid_members(tree.hutang_union, 2)
    Enrollment.objects.filter(pk=ids[0]).update(grassroots_union=None)
    breakdown = district_union_breakdown(year=2022, organizing=tree.hutang)
    assert [(r.unit and r.unit.name, r.completed) for r in breakdown.rows] == [
        ("湖塘镇乙公司工会", 0),
        ("湖塘镇甲公司工会", 1),
        (None, 1),
    ]
