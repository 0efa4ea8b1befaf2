"""Member records over time: edits, moves and correction requests (SPEC M1, M4, S1, S2)."""

import pytest
from django.db import connection

from huzhu.audit.models import AuditEvent
from huzhu.members.models import CorrectionStatus, Member, MemberChange
from huzhu.members.selectors import member_count_drift, open_corrections
from huzhu.members.services import (
    OPEN_CORRECTIONS_PER_MEMBER,
    CorrectionError,
    MemberError,
    MemberUpdate,
    move_member,
    refuse_correction,
    request_correction,
    update_member,
)
from huzhu.org.services import deactivate_unit
from tests.conftest import add_member


def _update(member, **changes):
    values = {
        "name": member.name,
        "phone": "13812345678",
        "union_card": "6231660000000000001",
        "employer_name": member.employer_name,
        "has_basic_insurance": member.has_basic_insurance,
        "insurance_scope": member.insurance_scope,
    }
    values.update(changes)
    return MemberUpdate(**values)


def _history_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {MemberChange._meta.db_table}")
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())


def _audit_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_s2_history_keeps_numbers_masked_never_in_clear(people):
    member = people.member
    change = update_member(
        actor=people.hutang_clerk,
        member=member,
        data=_update(
            member, name="张叁", phone="13911112222", union_card="6231661111222233334444"[:19]
        ),
    )
    fields = {c["field"]: c for c in change.changes}
    assert set(fields) == {"name", "phone", "union_card"}
    assert fields["phone"]["old"] == "138****5678"
    assert fields["phone"]["new"] == "139****2222"
    assert fields["name"] == {"field": "name", "label": "姓名", "old": "张三", "new": "张叁"}
    raw = _history_rows() + _audit_rows()
    for clear in ("13812345678", "13911112222", "6231660000000000001", "6231661111222233334"):
        assert clear not in raw
    assert change.actor_user == people.hutang_clerk
    member.refresh_from_db()
    assert member.name == "张叁" and member.phone_masked == "139****2222"
    assert AuditEvent.objects.filter(action="member.update", object_id=str(member.pk)).count() == 1


@pytest.mark.django_db
def test_m4_a_card_held_by_another_member_is_refused_on_edit(people, tree):
    other = add_member(tree.hutang_union_b, name="王五", union_card="6231660000000009999")
    with pytest.raises(MemberError) as caught:
        update_member(
            actor=people.hutang_admin,
            member=people.member,
            data=_update(people.member, union_card="6231 6600 0000 0009 999"),
        )
    assert caught.value.errors["union_card"] == "该工会卡已属于职工王五。"
    assert caught.value.existing["union_card"].pk == other.pk
    assert MemberChange.objects.count() == 0


@pytest.mark.django_db
def test_m4_a_card_held_outside_the_scope_is_answered_without_naming_anyone(people, tree):
    add_member(tree.niutang_union, name="赵七", union_card="6231660000000008888")
    with pytest.raises(MemberError) as caught:
        update_member(
            actor=people.hutang_clerk,
            member=people.member,
            data=_update(people.member, union_card="6231660000000008888"),
        )
    assert "赵七" not in caught.value.errors["union_card"]
    assert "其他单位" in caught.value.errors["union_card"]
    assert AuditEvent.objects.filter(action="member.number_elsewhere").count() == 1


@pytest.mark.django_db
def test_m2_an_invalid_value_is_refused_and_nothing_changes(people):
    with pytest.raises(MemberError) as caught:
        update_member(
            actor=people.hutang_admin,
            member=people.member,
            data=_update(people.member, phone="0519-8888888", name="x"),
        )
    assert set(caught.value.errors) == {"phone", "name"}
    with pytest.raises(MemberError):
        update_member(actor=people.hutang_admin, member=people.member, data=_update(people.member))
    assert MemberChange.objects.count() == 0


@pytest.mark.django_db
def test_m7_insurance_answer_and_scope_are_recorded_as_history(people):
    change = update_member(
        actor=people.hutang_admin,
        member=people.member,
        data=_update(people.member, has_basic_insurance=False, insurance_scope="other_province"),
    )
    assert [(c["old"], c["new"]) for c in change.changes] == [
        ("是", "否"),
        ("江苏省内", "江苏省外"),
    ]


@pytest.mark.django_db
def test_s1_move_updates_unit_path_and_both_kept_counts(people, tree):
    member = people.member
    move_member(actor=people.hutang_admin, member=member, unit=tree.hutang_union_b)
    member.refresh_from_db()
    assert member.unit == tree.hutang_union_b
    assert member.unit_path == tree.hutang_union_b.path
    assert member_count_drift() == {}
    tree.hutang_union.refresh_from_db()
    tree.hutang_union_b.refresh_from_db()
    assert tree.hutang_union.member_count == Member.objects.filter(unit=tree.hutang_union).count()
    assert tree.hutang_union_b.member_count == 1
    (change,) = MemberChange.objects.filter(member=member)
    assert change.changes[0]["old"] == "湖塘镇甲公司工会"
    assert AuditEvent.objects.filter(action="member.move").count() == 1


@pytest.mark.django_db
def test_s1_move_outside_the_scope_or_to_an_inactive_union_is_refused(people, tree):
    with pytest.raises(MemberError):
        move_member(actor=people.hutang_admin, member=people.member, unit=tree.niutang_union)
    deactivate_unit(actor=None, unit=tree.hutang_union_b)
    with pytest.raises(MemberError):
        move_member(actor=people.hutang_admin, member=people.member, unit=tree.hutang_union_b)
    with pytest.raises(MemberError):
        move_member(actor=people.hutang_admin, member=people.member, unit=tree.hutang)
    assert member_count_drift() == {}
    assert MemberChange.objects.count() == 0


@pytest.mark.django_db
def test_correction_requests_are_limited_per_member_and_checked(people):
    with pytest.raises(CorrectionError):
        request_correction(member=people.member, field="phone", text="  ")
    with pytest.raises(CorrectionError):
        request_correction(member=people.member, field="id_number", text="错了")
    with pytest.raises(CorrectionError):
        request_correction(member=people.member, field="phone", text="错" * 201)
    for _ in range(OPEN_CORRECTIONS_PER_MEMBER):
        request_correction(member=people.member, field="phone", text="手机号已换")
    with pytest.raises(CorrectionError) as caught:
        request_correction(member=people.member, field="phone", text="手机号已换")
    assert caught.value.status == 429
    # Another member is not held back by this one's requests.
    request_correction(member=people.other_member, field="name", text="名字写错了")


@pytest.mark.django_db
def test_correction_confirmed_through_an_edit_or_refused_with_a_reason(people):
    asked = request_correction(member=people.member, field="phone", text="我的手机号换了")
    refused = request_correction(member=people.member, field="name", text="名字错了")
    assert list(open_corrections(user=people.niutang_admin)) == []
    assert len(open_corrections(user=people.hutang_clerk)) == 2
    change = update_member(
        actor=people.hutang_clerk,
        member=people.member,
        data=_update(people.member, phone="13955556666"),
        correction=asked,
    )
    asked.refresh_from_db()
    assert asked.status == CorrectionStatus.CONFIRMED and change.correction == asked
    with pytest.raises(CorrectionError):
        refuse_correction(actor=people.hutang_clerk, correction=refused, reason=" ")
    refuse_correction(
        actor=people.hutang_clerk, correction=refused, reason="与身份证一致，无需更正"
    )
    refused.refresh_from_db()
    assert refused.status == CorrectionStatus.REFUSED and refused.reason.startswith("与身份证")
    with pytest.raises(CorrectionError):
        refuse_correction(actor=people.hutang_clerk, correction=asked, reason="已处理")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "member.correction_request",
        "member.correction_confirm",
        "member.correction_refuse",
    } <= actions


@pytest.mark.django_db
def test_s2_numbers_left_empty_on_the_form_stay_as_they_are(people):
    before = Member.objects.get(pk=people.member.pk)
    change = update_member(
        actor=people.hutang_admin,
        member=people.member,
        data=_update(people.member, phone="", union_card=" ", employer_name="湖塘镇新公司"),
    )
    assert [c["field"] for c in change.changes] == ["employer_name"]
    after = Member.objects.get(pk=people.member.pk)
    assert after.phone_hash == before.phone_hash
    assert after.union_card_hash == before.union_card_hash
