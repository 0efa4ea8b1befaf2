"""Enrollments and authorizations (SPEC E1–E5, M6, M7, T3, §12)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment import services
from huzhu.enrollment.models import Authorization, Enrollment, EnrollmentChange, State
from huzhu.enrollment.rules import EnrollmentError, month_after
from huzhu.enrollment.selectors import enrollment_history, enrollments_for
from huzhu.members.models import Member
from huzhu.org.models import Target, Unit
from huzhu.org.selectors import completed_counts, dashboard, progress
from tests.conftest import add_member

D = datetime.date
ONE = datetime.timedelta(days=1)
IN_2021 = D(2020, 12, 1)  # inside every 2021 window
IN_2022 = D(2021, 11, 1)


def sign(member, year=2022, channel="paper", on=IN_2022, actor=None, **kw):
    return services.sign(
        member=member,
        year=year,
        channel=channel,
        signed_on=on,
        source="console",
        actor=actor,
        **kw,
    )


def move(member: Member, unit: Unit) -> None:
    Member.objects.filter(pk=member.pk).update(unit=unit, unit_path=unit.path)
    member.refresh_from_db()


# --- E1, E2 ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_e1_the_database_holds_one_enrollment_per_member_and_year(people, tree):
    signed = sign(people.member)
    assert signed.created
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            member=people.member,
            year=2022,
            organizing_unit=tree.hutang,
            unit_path=tree.hutang.path,
            state=State.AUTHORIZED,
        )


@pytest.mark.django_db
def test_e1_enrollment_keeps_its_units_and_employer_when_the_member_moves(people, tree):
    enrollment = sign(people.member).enrollment
    move(people.member, tree.hutang_union_b)
    enrollment.refresh_from_db()
    assert enrollment.organizing_unit == tree.hutang
    assert enrollment.grassroots_union == tree.hutang_union
    assert enrollment.employer_name == "湖塘镇甲公司"
    assert enrollment.unit_path == tree.hutang_union.path
    assert enrollment.insurance_scope == "jiangsu"  # M7


@pytest.mark.django_db
def test_e2_authorized_failed_paid_each_change_kept(people):
    enrollment = sign(people.member, actor=people.hutang_admin).enrollment
    services.mark_failed(enrollment=enrollment, actor=None, reason="余额不足")
    services.mark_paid(enrollment=enrollment, actor=people.hutang_admin, reason="第二次扣款")
    enrollment.refresh_from_db()
    assert enrollment.state == State.PAID
    changes = list(
        EnrollmentChange.objects.filter(enrollment=enrollment).values_list(
            "from_state", "to_state", "reason", "actor_label"
        )
    )
    assert changes == [
        ("", "authorized", "签约：纸质签约", "hutang"),
        ("authorized", "failed", "余额不足", "system"),
        ("failed", "paid", "第二次扣款", "hutang"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, refused",
    [
        (["paid"], "failed"),
        (["paid"], "revoked"),
        (["lapsed"], "paid"),
        (["paid"], "lapsed"),
    ],
)
def test_e2_illegal_transitions_are_refused_in_chinese(people, path, refused):
    enrollment = sign(people.member).enrollment
    steps = {"paid": services.mark_paid, "failed": services.mark_failed, "lapsed": services.lapse}
    revoke = {"revoked": None}
    for state in path:
        steps[state](enrollment=enrollment, actor=None)
    with pytest.raises(EnrollmentError) as error:
        if refused in revoke:
            services._transition(
                enrollment=enrollment, new=refused, actor=None, reason="", request=None
            )
        else:
            steps[refused](enrollment=enrollment, actor=None)
    assert error.value.code == "illegal_transition"
    assert "不能变为" in error.value.message
    enrollment.refresh_from_db()
    assert enrollment.state == path[-1]


# --- E3 windows (P2, P3) ----------------------------------------------------------------

WINDOWS = [
    (
        2021,
        "online",
        D(2020, 9, 29),
        D(2020, 12, 18),
        "网上签约时间为2020年9月29日至2020年12月18日",
    ),
    (
        2021,
        "paper",
        D(2020, 11, 24),
        D(2020, 12, 11),
        "纸质签约时间为2020年11月24日至2020年12月11日",
    ),
    (
        2021,
        "renewal",
        D(2020, 11, 24),
        D(2020, 12, 11),
        "续保签约时间为2020年11月24日至2020年12月11日",
    ),
    (
        2022,
        "online",
        D(2021, 10, 11),
        D(2021, 12, 25),
        "网上签约时间为2021年10月11日至2021年12月25日",
    ),
    (
        2022,
        "paper",
        D(2021, 10, 11),
        D(2021, 12, 25),
        "纸质签约时间为2021年10月11日至2021年12月25日",
    ),
    (
        2022,
        "renewal",
        D(2021, 10, 11),
        D(2021, 12, 25),
        "续保签约时间为2021年10月11日至2021年12月25日",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("year, channel, start, end, window", WINDOWS)
def test_e3_window_edges_inside_are_accepted(people, year, channel, start, end, window):
    sign(people.member, year=year, channel=channel, on=start)
    sign(people.member, year=year, channel=channel, on=end)
    assert Authorization.objects.filter(enrollment__member=people.member).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("year, channel, start, end, window", WINDOWS)
def test_e3_window_edges_outside_are_refused_with_the_window(
    people, year, channel, start, end, window
):
    for day in (start - ONE, end + ONE):
        with pytest.raises(EnrollmentError) as error:
            sign(people.member, year=year, channel=channel, on=day)
        assert error.value.code == "outside_window"
        assert error.value.message.startswith(window)
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["paper", "renewal"])
def test_p3_paper_and_renewal_signers_may_sign_online_until_2020_12_31(people, first):
    signed = sign(people.member, year=2021, channel=first, on=D(2020, 12, 1))
    services.mark_paid(enrollment=signed.enrollment, actor=None)
    late = sign(people.member, year=2021, channel="online", on=D(2020, 12, 31))
    assert late.enrollment.pk == signed.enrollment.pk
    assert late.superseded == signed.authorization
    late.enrollment.refresh_from_db()
    assert late.enrollment.state == State.PAID  # no second debit
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, year=2021, channel="online", on=D(2021, 1, 1))
    assert error.value.code == "outside_window"


@pytest.mark.django_db
def test_p3_the_late_online_days_are_only_for_paper_and_renewal_signers(people):
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, year=2021, channel="online", on=D(2020, 12, 19))
    assert error.value.message.startswith("网上签约时间为2020年9月29日至2020年12月18日")


def enrolled_in_2020(member, tree, state):
    """A 2020 enrollment kept from before the system (no 2020 policy holds signings)."""
    Enrollment.objects.create(
        member=member,
        year=2020,
        organizing_unit=tree.hutang,
        grassroots_union=tree.hutang_union,
        unit_path=tree.hutang_union.path,
        state=state,
    )


@pytest.mark.django_db
def test_p3_2021_paper_signing_is_for_members_not_paid_in_2020(people, tree):
    # 2021 notice, 新参保纸质签约授权: "未参加2020年度互助保障的职工"; the others renew.
    enrolled_in_2020(people.member, tree, State.PAID)
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, year=2021, channel="paper", on=IN_2021)
    assert error.value.code == "paper_for_new_members"
    assert "续保签约" in error.value.message
    assert not Enrollment.objects.filter(year=2021).exists()
    renewed = services.renew(
        member=people.member, year=2021, actor=None, source="console", signed_on=IN_2021
    )
    assert renewed.authorization.channel == "renewal"
    # 2022 has no such rule: a member paid in 2021 may sign on paper.
    services.mark_paid(enrollment=renewed.enrollment, actor=None)
    assert sign(people.member, year=2022, channel="paper").created


@pytest.mark.django_db
def test_p3_2021_paper_signing_is_open_to_a_member_whose_2020_enrollment_was_not_paid(people, tree):
    enrolled_in_2020(people.member, tree, State.LAPSED)
    assert sign(people.member, year=2021, channel="paper", on=IN_2021).created


@pytest.mark.django_db
def test_e3_a_year_without_policy_is_refused(people):
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, year=2030, on=D(2029, 11, 1))
    assert error.value.message == "没有2030保障年度的政策。"


# --- E5 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_e5_online_then_paper_keeps_one_enrollment_and_one_active_authorization(people):
    online = sign(people.member, channel="online", on=D(2021, 10, 20))
    paper = sign(people.member, channel="paper", on=D(2021, 11, 2))
    assert Enrollment.objects.count() == 1
    assert paper.enrollment.pk == online.enrollment.pk and not paper.created
    active = Authorization.objects.filter(enrollment=paper.enrollment, active=True)
    assert list(active) == [paper.authorization]
    online.authorization.refresh_from_db()
    assert not online.authorization.active
    assert online.authorization.ended_on == D(2021, 11, 2)
    assert paper.authorization.supersedes == online.authorization
    # The channel of the current authorization is the paper one.
    row = enrollments_for(user=people.hutang_admin, year=2022).get()
    assert row.channel == "paper"


@pytest.mark.django_db
def test_e5_a_further_signing_of_a_paid_year_leaves_it_paid(people):
    signed = sign(people.member)
    services.mark_paid(enrollment=signed.enrollment, actor=None)
    again = sign(people.member, on=D(2021, 12, 1))
    again.enrollment.refresh_from_db()
    assert again.enrollment.state == State.PAID
    assert EnrollmentChange.objects.filter(enrollment=signed.enrollment).count() == 2


# --- M6 eligibility ----------------------------------------------------------------------


@pytest.mark.django_db
def test_m6_a_card_held_by_another_member_is_refused(people):
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, union_card="6231 6600 0000 0000 002")  # 李四's card
    assert error.value.code == "card_of_other_member"
    assert error.value.message == "该工会服务卡已属于其他职工。"
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_m6_the_members_own_card_is_accepted_and_an_unknown_one_refused(people):
    sign(people.member, union_card="6231660000000000001")
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, union_card="6231660000000000999")
    assert error.value.code == "card_mismatch"


@pytest.mark.django_db
def test_m6_no_basic_insurance_is_refused(people):
    Member.objects.filter(pk=people.member.pk).update(has_basic_insurance=False)
    people.member.refresh_from_db()
    with pytest.raises(EnrollmentError) as error:
        sign(people.member)
    assert error.value.code == "no_basic_insurance"
    assert error.value.message.startswith("该职工未参加基本医保")
    assert not Enrollment.objects.exists()


# --- E4 renewal -------------------------------------------------------------------------


def paid_2021(member):
    signed = sign(member, year=2021, channel="paper", on=IN_2021)
    services.mark_paid(enrollment=signed.enrollment, actor=None)


@pytest.mark.django_db
def test_e4_renewal_for_a_member_paid_last_year_in_the_same_units(people):
    paid_2021(people.member)
    renewed = services.renew(
        member=people.member,
        year=2022,
        actor=people.hutang_clerk,
        source="console",
        signed_on=IN_2022,
    )
    assert renewed.authorization.channel == "renewal"
    assert renewed.enrollment.state == State.AUTHORIZED
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_RENEW)
    assert event.actor_label == "hutang_clerk"


@pytest.mark.django_db
def test_e4_renewal_refused_after_a_unit_change(people, tree):
    paid_2021(people.member)
    move(people.member, tree.hutang_union_b)
    with pytest.raises(EnrollmentError) as error:
        services.renew(
            member=people.member, year=2022, actor=None, source="portal", signed_on=IN_2022
        )
    assert error.value.message == "单位已变更，请按新参保签约。"
    assert not Enrollment.objects.filter(year=2022).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("last_year", [None, "authorized", "failed", "revoked"])
def test_e4_renewal_refused_for_a_member_not_paid_last_year(people, last_year):
    if last_year is not None:
        signed = sign(people.member, year=2021, on=IN_2021)
        if last_year == "failed":
            services.mark_failed(enrollment=signed.enrollment, actor=None)
        if last_year == "revoked":
            services.revoke(
                member=people.member, year=2021, actor=None, source="console", on=IN_2021
            )
    with pytest.raises(EnrollmentError) as error:
        services.renew(
            member=people.member, year=2022, actor=None, source="portal", signed_on=IN_2022
        )
    assert error.value.message == "上一年度未缴费，不能续签。"


# --- Revocation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_revocation_before_payment_revokes_the_enrollment(people):
    signed = sign(people.member)
    result = services.revoke(
        member=people.member,
        year=2022,
        actor=people.hutang_admin,
        source="console",
        on=D(2021, 11, 5),
    )
    assert result.enrollment.state == State.REVOKED
    assert result.message == "已解约。2022年度参保已取消。"
    signed.authorization.refresh_from_db()
    assert not signed.authorization.active and signed.authorization.ended_on == D(2021, 11, 5)
    # Signing again inside the window brings it back.
    again = sign(people.member, on=D(2021, 11, 6))
    again.enrollment.refresh_from_db()
    assert again.enrollment.state == State.AUTHORIZED
    assert again.authorization.supersedes is None


@pytest.mark.django_db
def test_revocation_after_payment_stays_covered_and_ends_the_month_after(people):
    signed = sign(people.member)
    services.mark_paid(enrollment=signed.enrollment, actor=None)
    result = services.revoke(
        member=people.member, year=2022, actor=None, source="portal", on=D(2021, 12, 10)
    )
    assert result.enrollment.state == State.PAID
    assert result.message == "已解约。2022年度已缴费，本年度保障不变；签约授权于2022年1月1日终止。"
    assert result.authorization.ended_on == D(2022, 1, 1)
    assert not Authorization.objects.filter(active=True).exists()
    with pytest.raises(EnrollmentError) as error:
        services.revoke(member=people.member, year=2022, actor=None, source="portal")
    assert error.value.code == "no_active_authorization"


def test_month_after_crosses_the_year():
    assert month_after(D(2021, 12, 31)) == D(2022, 1, 1)
    assert month_after(D(2022, 1, 31)) == D(2022, 2, 1)


# --- Audit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_s3_signing_revoking_and_state_changes_are_audited_masked(people):
    signed = sign(people.member, actor=people.hutang_clerk)
    services.mark_failed(enrollment=signed.enrollment, actor=people.hutang_admin)
    services.revoke(
        member=people.member, year=2022, actor=people.hutang_admin, source="console", on=IN_2022
    )
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "summary"))
    enrollment_events = [e for e in events if e[0].startswith("enrollment.")]
    assert [e[:2] for e in enrollment_events] == [
        ("enrollment.sign", "hutang_clerk"),
        ("enrollment.state", "hutang"),
        ("enrollment.revoke", "hutang"),
    ]
    for _action, _who, summary in enrollment_events:
        assert people.member.id_number_masked in summary
        assert "*" in summary


# --- Selectors (S1) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_s1_enrollments_for_is_scoped(people, tree):
    sign(people.member, actor=None)
    sign(people.other_member, actor=None, channel="online")
    hutang = enrollments_for(user=people.hutang_admin, year=2022)
    assert [e.member.name for e in hutang] == ["张三"]
    assert [e.member.name for e in enrollments_for(user=people.niutang_admin, year=2022)] == [
        "李四"
    ]
    everyone = enrollments_for(user=people.district_admin, year=2022)
    assert {e.member.name for e in everyone} == {"张三", "李四"}
    assert [
        e.member.name
        for e in enrollments_for(user=people.district_admin, year=2022, channel="online")
    ] == ["李四"]
    assert not enrollments_for(user=people.district_admin, year=2022, state="paid").exists()
    assert not enrollments_for(user=people.hutang_admin, year=2022, unit=tree.niutang).exists()
    assert enrollment_history(user=people.niutang_admin, member=people.member) == []
    history = enrollment_history(user=people.hutang_clerk, member=people.member)
    assert [c.to_state for c in history] == ["authorized"]


# --- T3 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_t3_completed_counts_paid_enrollments_for_years_with_enrollments(people, tree):
    Target.objects.create(unit=tree.hutang, year=2021, target=10, imported_completed=7)
    Target.objects.create(unit=tree.hutang, year=2022, target=10, imported_completed=99)
    Target.objects.create(unit=tree.niutang, year=2022, target=10)
    assert completed_counts(year=2021) == {tree.hutang.pk: 7}
    paid = sign(people.member).enrollment
    sign(people.other_member)
    assert completed_counts(year=2022) == {}  # enrollments, none paid: imported 99 ignored
    services.mark_paid(enrollment=paid, actor=None)
    assert completed_counts(year=2022) == {tree.hutang.pk: 1}
    assert completed_counts(year=2021) == {tree.hutang.pk: 7}
    rows = {r.unit.name: r.completed for r in progress(year=2022, user=people.district_admin)}
    assert rows == {"湖塘镇": 1, "牛塘镇": 0}
    board = dashboard(user=people.district_admin, year=2022)
    assert board.total_completed == 1
    board_2021 = dashboard(user=people.district_admin, year=2021)
    assert board_2021.total_completed == 7


@pytest.mark.django_db
def test_t3_dashboard_queries_do_not_grow_with_enrollments(
    people, tree, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Target.objects.create(unit=tree.hutang, year=2022, target=10)
    services.mark_paid(enrollment=sign(people.member).enrollment, actor=None)
    with CaptureQueriesContext(connection) as few:
        dashboard(user=people.district_admin, year=None)
    for i in range(5):
        m = add_member(
            tree.hutang_union_b,
            name="赵六",
            phone="13700002222",
            union_card=f"623166000000010{i:04d}",
        )
        services.mark_paid(enrollment=sign(m).enrollment, actor=None)
    with CaptureQueriesContext(connection) as many:
        board = dashboard(user=people.district_admin, year=None)
    assert board.total_completed == 6
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Commands (§12) ---------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("enrollment", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_cli_enrollment_count_json_exactly(people, tree):
    sign(people.member, channel="online", on=D(2021, 10, 20))
    sign(people.member, channel="paper", on=D(2021, 11, 2))
    services.mark_paid(enrollment=sign(people.other_member).enrollment, actor=None)
    out = run("count", "--year", "2022", "--json")
    assert out == (
        '{"total": 2, "by_state": {"authorized": 1, "paid": 1, "failed": 0, "revoked": 0, '
        '"lapsed": 0}, "by_channel": {"online": 0, "paper": 2, "renewal": 0}}\n'
    )
    hutang = json.loads(run("count", "--year", "2022", "--unit", "湖塘镇", "--json"))
    assert hutang["total"] == 1 and hutang["by_state"]["authorized"] == 1
    assert json.loads(run("count", "--year", "2021", "--json"))["total"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["count", "--year", "abc", "--json"], "--year"),
        (["count", "--year", "2022", "--unit", "无此镇", "--json"], "没有名为无此镇的单位。"),
        (["list", "--year", "2022", "--state", "done"], "未知状态done"),
    ],
)
def test_cli_enrollment_bad_input_exits_2_in_chinese(tree, args, message):
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert refused.value.returncode == 2
    assert message in str(refused.value)


@pytest.mark.django_db
def test_cli_enrollment_list_masks_numbers(people):
    sign(people.member)
    lines = run("list", "--year", "2022", "--json").splitlines()
    row = json.loads(lines[0])
    assert row["name"] == "张三" and row["state"] == "authorized" and row["channel"] == "paper"
    assert row["id_number"] == people.member.id_number_masked and "*" in row["id_number"]
    table = run("list", "--year", "2022", "--state", "authorized")
    assert "张三" in table and "已签约，待扣款" in table
    assert run("list", "--year", "2022", "--state", "paid") == ""


@pytest.mark.django_db
def test_s1_a_page_of_enrollments_reads_in_one_query(people, tree, django_assert_num_queries):
    for i in range(4):
        m = add_member(tree.hutang_union_b, name="赵六", union_card=f"623166000000020{i:04d}")
        sign(m, channel="online" if i % 2 else "paper")
    with django_assert_num_queries(1):
        rows = [
            (e.member.name, e.organizing_unit.name, e.grassroots_union.name, e.channel)
            for e in enrollments_for(user=people.hutang_admin, year=2022)[:50]
        ]
    assert [r[3] for r in rows] == ["paper", "online", "paper", "online"]


@pytest.mark.django_db
def test_e2_a_lapsed_year_refuses_a_new_signing(people):
    services.lapse(enrollment=sign(people.member).enrollment, actor=None, reason="逾期未缴费")
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, on=D(2021, 12, 1))
    assert error.value.code == "lapsed"


@pytest.mark.django_db
def test_e1_a_member_of_an_employer_is_enrolled_under_its_grassroots_union(tree):
    from huzhu.org.models import UnitKind
    from huzhu.org.services import create_unit

    employer = create_unit(
        actor=None, name="甲公司一车间", kind=UnitKind.EMPLOYER, parent=tree.hutang_union
    )
    member = add_member(employer, name="钱七", union_card="6231660000000030001")
    enrollment = sign(member).enrollment
    assert enrollment.grassroots_union == tree.hutang_union
    assert enrollment.organizing_unit == tree.hutang
    assert enrollment.unit_path == tree.hutang_union.path


@pytest.mark.django_db
def test_e3_an_unknown_channel_or_source_is_refused(people):
    with pytest.raises(EnrollmentError) as error:
        sign(people.member, channel="wechat")
    assert error.value.message == "未知的签约渠道：wechat。"
    with pytest.raises(EnrollmentError) as error:
        services.sign(
            member=people.member,
            year=2022,
            channel="paper",
            signed_on=IN_2022,
            source="fax",
            actor=None,
        )
    assert error.value.message == "未知的签约来源：fax。"
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_e2_mark_paid_many_writes_each_change_and_audit_row_and_refuses_a_final_state(
    people,
):
    first = sign(people.member).enrollment
    second = sign(people.other_member).enrollment
    assert services.mark_paid_many(enrollment_ids=[first.pk, second.pk], actor=None) == 2
    for row in (first, second):
        row.refresh_from_db()
        assert row.state == State.PAID
        assert list(row.changes.values_list("from_state", "to_state"))[-1] == ("authorized", "paid")
        assert AuditEvent.objects.filter(
            action=Action.ENROLLMENT_STATE, object_id=str(row.pk)
        ).exists()
    lapsed = sign(people.member, year=2021, on=IN_2021).enrollment
    services.lapse(enrollment=lapsed, actor=None)
    with pytest.raises(EnrollmentError):
        services.mark_paid_many(enrollment_ids=[lapsed.pk], actor=None)
    lapsed.refresh_from_db()
    assert lapsed.state == State.LAPSED


@pytest.mark.django_db
def test_e2_s3_mark_failed_many_writes_the_rows_mark_failed_writes_audit_rows_if_asked(people):
    """Set-based moves write the same history and audit rows as the one-by-one move. With
    `audit_each=False` (a deduction result, audited once for the batch by its caller) the
    history row is the same and no audit row is written."""
    alone = sign(people.member).enrollment
    services.mark_failed(enrollment=alone, actor=people.district_admin, reason="扣款批次A")
    bulk = sign(people.other_member).enrollment
    moved = services.mark_failed_many(
        enrollment_ids=Enrollment.objects.filter(pk=bulk.pk),
        actor=people.district_admin,
        reason="扣款批次A",
    )
    assert moved == 1
    rows = []
    for enrollment in (alone, bulk):
        change = enrollment.changes.get(to_state=State.FAILED)
        event = AuditEvent.objects.get(action=Action.ENROLLMENT_STATE, object_id=str(enrollment.pk))
        member = enrollment.member
        assert event.summary == f"{member.name} {member.id_number_masked} 2022 authorized → failed"
        rows.append(
            (
                change.from_state,
                change.reason,
                change.actor,
                change.actor_label,
                event.actor_user,
                event.actor_label,
                event.object_type,
                event.unit_path == enrollment.unit_path,
                event.data,
            )
        )
    assert rows[0] == rows[1]
    quiet = sign(people.member, year=2021, on=IN_2021).enrollment
    audit_rows = AuditEvent.objects.count()
    assert (
        services.mark_failed_many(
            enrollment_ids=Enrollment.objects.filter(pk=quiet.pk),
            actor=people.district_admin,
            reason="扣款批次A",
            audit_each=False,
        )
        == 1
    )
    change = quiet.changes.get(to_state=State.FAILED)
    assert (change.from_state, change.reason, change.actor, change.actor_label) == rows[0][:4]
    assert AuditEvent.objects.count() == audit_rows
    quiet.refresh_from_db()
    assert quiet.state == State.FAILED
