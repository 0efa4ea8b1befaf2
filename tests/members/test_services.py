import pytest
from django.db import connection

from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.services import MemberError, MemberInput, create_member, reveal_identity
from tests.conftest import make_id_number


def raw_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Member._meta.db_table}")
        return [" ".join(str(v) for v in row) for row in cursor.fetchall()]


@pytest.mark.django_db
def test_s2_the_database_never_holds_id_or_phone_in_clear(tree):
    id_number = make_id_number()
    create_member(
        actor=None,
        unit=tree.hutang_union,
        data=MemberInput(
            name="王五",
            id_number=id_number,
            phone="+86 137 0000 1111",
            union_card="6231660000000009999",
        ),
    )
    (row,) = raw_rows()
    assert id_number not in row
    assert "13700001111" not in row
    assert "6231660000000009999" not in row
    assert "320412********" in row  # the masked form is all that reads


@pytest.mark.django_db
def test_s2_lookup_hash_is_keyed_and_finds_the_member(tree, settings):
    id_number = make_id_number()
    member = create_member(
        actor=None,
        unit=tree.hutang_union,
        data=MemberInput(
            name="王五", id_number=id_number, phone="13700001111", union_card="6231660000000009999"
        ),
    )
    assert Member.objects.get(id_number_hash=crypto.lookup_hash("id", id_number)) == member
    settings.HUZHU_LOOKUP_KEY = "another key"
    assert crypto.lookup_hash("id", id_number) != member.id_number_hash


@pytest.mark.django_db
def test_m1_one_member_per_id_number(people, tree):
    clear = reveal_identity(actor=None, member=people.member)
    with pytest.raises(MemberError) as error:
        create_member(
            actor=None,
            unit=tree.niutang_union,
            data=MemberInput(
                name="张三",
                id_number=clear["id_number"].lower(),
                phone="13700001111",
                union_card="6231660000000009999",
            ),
        )
    assert "id_number" in error.value.errors


@pytest.mark.django_db
def test_m4_a_union_card_held_by_another_id_is_an_error(people, tree):
    with pytest.raises(MemberError) as error:
        create_member(
            actor=None,
            unit=tree.hutang_union,
            data=MemberInput(
                name="赵六",
                id_number=make_id_number(),
                phone="13700001111",
                union_card="6231 6600 0000 0000 001",
            ),
        )
    assert error.value.errors == {"union_card": "该工会卡已属于职工张三。"}


@pytest.mark.django_db
def test_every_bad_field_is_reported_at_once(tree):
    with pytest.raises(MemberError) as error:
        create_member(
            actor=None,
            unit=tree.hutang_union,
            data=MemberInput(name="1", id_number="123", phone="0519-1234567", union_card="12"),
        )
    assert set(error.value.errors) == {"name", "id_number", "phone", "union_card"}


@pytest.mark.django_db
def test_s3_full_view_is_written_to_the_audit_log(people):
    clear = reveal_identity(actor=people.hutang_admin, member=people.member)
    assert clear["phone"] == "13812345678"
    event = AuditEvent.objects.get(action="member.reveal")
    assert event.actor_user == people.hutang_admin
    assert event.object_id == str(people.member.pk)
    assert event.unit_path == people.member.unit_path
