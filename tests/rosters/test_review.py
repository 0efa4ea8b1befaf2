"""Approval, return and the collection of the paper forms of a roster upload (SPEC E6)."""

import csv
import datetime
from pathlib import Path

import pytest
from django.utils import timezone

import huzhu
from huzhu.accounts.roles import Role
from huzhu.audit.models import AuditEvent
from huzhu.dates import scheme_today
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Authorization, EnrollmentChange, State
from huzhu.org.rules import forms_route_for_name
from huzhu.org.services import UnitError, set_forms_route
from huzhu.policy.selectors import current_policies
from huzhu.rosters.models import ImportStatus, Review
from huzhu.rosters.selectors import deductible_q
from huzhu.rosters.services import (
    AlreadyDone,
    ReviewRefused,
    approve_roster,
    record_collection,
    return_roster,
)
from tests.conftest import add_member, make_user
from tests.rosters.review_helpers import make_roster


@pytest.fixture
def roster(tree, people):
    members = [
        people.member,
        add_member(tree.hutang_union, name="赵六", union_card="6231660000000001111"),
    ]
    return make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk, members=members)


def _deductible_ids():
    return set(Authorization.objects.filter(deductible_q()).values_list("pk", flat=True))


def _roster_authorizations(roster):
    return set(roster.authorizations.values_list("pk", flat=True))


def _events(roster, action):
    return AuditEvent.objects.filter(object_id=str(roster.pk), action=action).count()


def test_e6_an_awaiting_rosters_authorizations_are_not_deductible(roster):
    assert len(_roster_authorizations(roster)) == 2
    assert _roster_authorizations(roster).isdisjoint(_deductible_ids())


def test_e6_approving_makes_the_rosters_authorizations_deductible(roster, people):
    approve_roster(actor=people.hutang_admin, roster=roster)
    roster.refresh_from_db()
    assert roster.review == Review.APPROVED
    assert roster.reviewed_by == people.hutang_admin
    assert roster.reviewed_at is not None
    assert _roster_authorizations(roster) <= _deductible_ids()
    assert _events(roster, "roster.approve") == 1


def test_e6_a_returned_rosters_authorizations_are_not_deductible(roster, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="身份证号码有误")
    assert _roster_authorizations(roster).isdisjoint(_deductible_ids())


def test_e6_an_online_authorization_stays_deductible(tree, people):
    signed = enrollment_services.sign(
        member=people.other_member,
        year=2022,
        channel="paper",
        signed_on=datetime.date(2021, 11, 1),
        source="console",
        actor=None,
    )
    assert signed.authorization.pk in _deductible_ids()


def test_e6_returning_ends_the_authorizations_and_revokes_unpaid_enrollments(roster, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="  缺少  职工签字 ")
    roster.refresh_from_db()
    assert roster.review == Review.RETURNED
    assert roster.return_reason == "缺少 职工签字"
    for authorization in roster.authorizations.select_related("enrollment"):
        assert authorization.active is False
        assert authorization.ended_on == scheme_today()
        assert authorization.enrollment.state == State.REVOKED
        change = EnrollmentChange.objects.filter(enrollment=authorization.enrollment).latest("id")
        assert (change.from_state, change.to_state) == (State.AUTHORIZED, State.REVOKED)
        assert change.reason == "汇总表退回：缺少 职工签字"
        assert change.actor == people.hutang_admin
    event = AuditEvent.objects.get(object_id=str(roster.pk), action="roster.return")
    assert event.data["authorizations_ended"] == 2
    assert event.data["enrollments_revoked"] == 2


def test_e6_returning_leaves_a_paid_enrollment_paid(roster, people):
    paid = roster.authorizations.select_related("enrollment").first().enrollment
    enrollment_services.mark_paid(enrollment=paid, actor=None)
    return_roster(actor=people.hutang_admin, roster=roster, reason="重复")
    paid.refresh_from_db()
    assert paid.state == State.PAID
    assert not roster.authorizations.filter(active=True).exists()


def test_e6_a_corrected_roster_signs_a_returned_member_again(roster, tree, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="重复")
    again = make_roster(
        unit=tree.hutang_union, uploader=people.hutang_clerk, members=[people.member]
    )
    enrollment = again.authorizations.get().enrollment
    assert enrollment.state == State.AUTHORIZED


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "退回原因：请填写退回原因。"),
        ("   ", "退回原因：请填写退回原因。"),
        ("长" * 501, "退回原因：最多 500 个字。"),
    ],
)
def test_e6_a_return_needs_a_reason_of_at_most_500_characters(roster, people, reason, message):
    with pytest.raises(ReviewRefused) as refused:
        return_roster(actor=people.hutang_admin, roster=roster, reason=reason)
    assert refused.value.message == message
    roster.refresh_from_db()
    assert roster.review == Review.AWAITING
    assert roster.authorizations.filter(active=True).count() == 2


def test_e6_a_reason_of_500_characters_is_accepted(roster, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="长" * 500)
    roster.refresh_from_db()
    assert roster.return_reason == "长" * 500


def test_e6_approving_twice_changes_nothing_the_second_time(roster, people):
    approve_roster(actor=people.hutang_admin, roster=roster)
    with pytest.raises(AlreadyDone, match="已审核通过"):
        approve_roster(actor=people.district_admin, roster=roster)
    roster.refresh_from_db()
    assert roster.reviewed_by == people.hutang_admin
    assert _events(roster, "roster.approve") == 1


def test_e6_returning_twice_changes_nothing_the_second_time(roster, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="甲")
    with pytest.raises(AlreadyDone, match="已退回"):
        return_roster(actor=people.hutang_admin, roster=roster, reason="乙")
    roster.refresh_from_db()
    assert roster.return_reason == "甲"
    assert _events(roster, "roster.return") == 1


def test_e6_an_approved_roster_cannot_be_returned(roster, people):
    approve_roster(actor=people.hutang_admin, roster=roster)
    with pytest.raises(ReviewRefused, match="不能再退回"):
        return_roster(actor=people.hutang_admin, roster=roster, reason="晚了")
    assert roster.authorizations.filter(active=True).count() == 2


def test_e6_a_returned_roster_cannot_be_approved(roster, people):
    return_roster(actor=people.hutang_admin, roster=roster, reason="甲")
    with pytest.raises(ReviewRefused, match="重新上传"):
        approve_roster(actor=people.hutang_admin, roster=roster)
    roster.refresh_from_db()
    assert roster.review == Review.RETURNED


@pytest.mark.parametrize(
    "status",
    [ImportStatus.CHECKED, ImportStatus.IMPORTING, ImportStatus.FAILED, ImportStatus.CANCELLED],
)
def test_e6_only_a_finished_import_is_approved_or_returned(tree, people, status):
    unfinished = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk, status=status)
    with pytest.raises(ReviewRefused, match="导入完成后"):
        approve_roster(actor=people.hutang_admin, roster=unfinished)
    with pytest.raises(ReviewRefused, match="导入完成后"):
        return_roster(actor=people.hutang_admin, roster=unfinished, reason="甲")
    unfinished.refresh_from_db()
    assert unfinished.review == Review.AWAITING
    assert not AuditEvent.objects.filter(object_id=str(unfinished.pk), action__startswith="roster.")


# --- collection of the paper forms ---------------------------------------------------------


@pytest.fixture
def agency(tree):
    return make_user("agency", Role.AGENCY, tree.district)


@pytest.fixture
def approved(roster, people):
    return approve_roster(actor=people.hutang_admin, roster=roster)


def test_e6_the_agency_records_the_collection_of_a_towns_forms(approved, agency):
    record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=2)
    approved.refresh_from_db()
    assert (approved.collected_on, approved.collected_count, approved.collected_by) == (
        scheme_today(),
        2,
        agency,
    )
    event = AuditEvent.objects.get(object_id=str(approved.pk), action="roster.collect")
    assert event.data == {"collected_on": scheme_today().isoformat(), "count": 2, "imported": 2}


def test_e6_the_district_admin_does_not_record_a_towns_forms(approved, people):
    with pytest.raises(ReviewRefused, match="人保公司"):
        record_collection(
            actor=people.district_admin, roster=approved, collected_on=scheme_today(), count=2
        )


def test_e6_a_district_route_units_forms_are_recorded_by_the_district(
    approved, tree, people, agency
):
    set_forms_route(actor=people.district_admin, unit=tree.hutang, route="district")
    with pytest.raises(ReviewRefused, match="权益保障部"):
        record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=2)
    record_collection(
        actor=people.district_admin, roster=approved, collected_on=scheme_today(), count=2
    )
    approved.refresh_from_db()
    assert approved.collected_by == people.district_admin


def test_e6_the_collection_date_is_not_in_the_future(approved, agency):
    with pytest.raises(ReviewRefused, match="收取日期：不能晚于今天"):
        record_collection(
            actor=agency,
            roster=approved,
            collected_on=scheme_today() + datetime.timedelta(days=1),
            count=2,
        )


def test_e6_the_collection_date_is_not_before_the_upload(tree, people, agency):
    earlier = make_roster(
        unit=tree.hutang_union,
        uploader=people.hutang_clerk,
        review=Review.APPROVED,
        uploaded_at=timezone.now() - datetime.timedelta(days=3),
    )
    with pytest.raises(ReviewRefused, match="不能早于汇总表上传日期"):
        record_collection(
            actor=agency,
            roster=earlier,
            collected_on=scheme_today() - datetime.timedelta(days=4),
            count=1,
        )
    record_collection(
        actor=agency,
        roster=earlier,
        collected_on=scheme_today() - datetime.timedelta(days=3),
        count=1,
    )


def test_e6_the_number_of_forms_is_positive(approved, agency):
    with pytest.raises(ReviewRefused, match="份数"):
        record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=0)


def test_e6_forms_of_an_unapproved_roster_are_not_recorded(roster, agency):
    with pytest.raises(ReviewRefused, match="审核通过后"):
        record_collection(actor=agency, roster=roster, collected_on=scheme_today(), count=2)


def test_e6_a_second_collection_record_is_refused_and_the_first_kept(approved, agency):
    record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=2)
    with pytest.raises(AlreadyDone):
        record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=2)
    with pytest.raises(ReviewRefused, match="不能再登记"):
        record_collection(actor=agency, roster=approved, collected_on=scheme_today(), count=3)
    approved.refresh_from_db()
    assert approved.collected_count == 2
    assert _events(approved, "roster.collect") == 1


# --- the route of an organizing unit's paper forms -----------------------------------------


def test_e6_the_route_follows_the_organizing_units_name():
    path = Path(huzhu.__file__).parent / "data" / "targets-2022.csv"
    with path.open(encoding="utf-8") as rows:
        names = [row["所属单位"] for row in csv.DictReader(rows)]
    routes = {name: forms_route_for_name(name) for name in names}
    agency = {name for name, route in routes.items() if route == "agency"}
    assert agency == {
        "高新区", "高新区北区", "南夏墅街道", "西太湖", "西湖街道", "雪堰镇", "礼嘉镇", "前黄镇",
        "湖塘镇", "牛塘镇", "洛阳镇", "嘉泽镇", "湟里镇", "绿建区", "太湖湾", "淹管会", "经开区",
    }  # fmt: skip
    assert routes["武进区公安局"] == routes["机关工联会"] == routes["其他"] == "district"
    assert forms_route_for_name("湖塘镇总工会") == "agency"


def test_e6_the_district_admin_sets_an_organizing_units_route(tree, people):
    assert tree.hutang.paper_forms_route == "agency"
    set_forms_route(actor=people.district_admin, unit=tree.hutang, route="district", request=None)
    tree.hutang.refresh_from_db()
    assert tree.hutang.paper_forms_route == "district"
    event = AuditEvent.objects.get(action="unit.forms_route", object_id=str(tree.hutang.pk))
    assert event.data == {"old": "agency", "new": "district"}
    set_forms_route(actor=people.district_admin, unit=tree.hutang, route="district")
    assert AuditEvent.objects.filter(action="unit.forms_route").count() == 1


def test_e6_a_route_is_set_for_organizing_units_only(tree, people):
    with pytest.raises(UnitError):
        set_forms_route(actor=people.district_admin, unit=tree.hutang_union, route="district")
    with pytest.raises(UnitError):
        set_forms_route(actor=people.district_admin, unit=tree.hutang, route="bank")


def test_e6_returning_spares_an_enrollment_signed_again_since(roster, people):
    """The member signed again online after the roster (E5 supersedes the roster's
    authorization): returning the roster leaves that signing and the enrollment alone."""
    window = current_policies()[2022].windows["online"]
    again = enrollment_services.sign(
        member=people.member,
        year=2022,
        channel="online",
        signed_on=window.start,
        source="bank_notice",
        actor=None,
    )
    return_roster(actor=people.hutang_admin, roster=roster, reason="重复")
    again.authorization.refresh_from_db()
    again.enrollment.refresh_from_db()
    assert again.authorization.active is True
    assert again.enrollment.state == State.AUTHORIZED
    event = AuditEvent.objects.get(object_id=str(roster.pk), action="roster.return")
    assert (event.data["authorizations_ended"], event.data["enrollments_revoked"]) == (1, 1)
