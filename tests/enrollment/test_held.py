"""Online signers held under an organizing unit (SPEC §7a): the admin assigns a grassroots
union; the member moves with history and the held enrollments take the union (E1 snapshot),
a past year's union is never rewritten (S1 scope throughout)."""

import datetime

import pytest
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.enrollment import selectors, services
from huzhu.enrollment.models import Channel, Enrollment, Source, State
from huzhu.members.models import ChangeKind, Member, MemberChange
from huzhu.members.selectors import member_count_drift
from huzhu.members.services import MemberError, MemberInput, create_member
from tests.conftest import make_id_number, sign_in

IN_2022 = datetime.date(2021, 11, 1)


def held(town, name="赵六", card="6231660000000007777", phone="13600001234"):
    member = create_member(
        actor=None,
        unit=town,
        data=MemberInput(
            name=name,
            id_number=make_id_number(),
            phone=phone,
            union_card=card,
            employer_name="湖塘镇丁公司",
        ),
        holding=True,
    )
    services.sign(
        member=member,
        year=2022,
        channel=Channel.ONLINE,
        signed_on=IN_2022,
        source=Source.BANK_NOTICE,
        actor=None,
        union_card=card,
    )
    return member


@pytest.mark.django_db
def test_7a_assigning_held_members_moves_them_and_fills_their_held_enrollments(people, tree):
    first = held(tree.hutang)
    second = held(tree.hutang, name="钱七", card="6231660000000007778", phone="13600001235")
    # A past year that already named a union (a record kept from before) stays as it was.
    past = Enrollment.objects.create(
        member=first,
        year=2021,
        organizing_unit=tree.hutang,
        grassroots_union=tree.hutang_union_b,
        unit_path=tree.hutang_union_b.path,
        state=State.PAID,
    )
    assert {m.pk for m in selectors.held_members(user=people.hutang_admin)} == {
        first.pk,
        second.pk,
    }
    filled = services.assign_held(
        actor=people.hutang_admin, member_ids=[first.pk, second.pk], union=tree.hutang_union
    )
    assert filled == 2
    for member in (first, second):
        member.refresh_from_db()
        assert (member.unit, member.unit_path) == (tree.hutang_union, tree.hutang_union.path)
        enrollment = Enrollment.objects.get(member=member, year=2022)
        assert enrollment.grassroots_union == tree.hutang_union
        assert enrollment.unit_path == tree.hutang_union.path
        assert enrollment.organizing_unit == tree.hutang
        change = MemberChange.objects.get(member=member)
        assert change.kind == ChangeKind.MOVE and change.changes[0]["old"] == "湖塘镇"
    past.refresh_from_db()
    assert (past.grassroots_union, past.unit_path) == (
        tree.hutang_union_b,
        tree.hutang_union_b.path,
    )
    assert member_count_drift() == {}
    assert AuditEvent.objects.filter(action="enrollment.assign").count() == 1
    assert AuditEvent.objects.filter(action="member.move").count() == 2
    assert selectors.held_count(user=people.hutang_admin) == 0


@pytest.mark.django_db
def test_7a_s1_only_a_union_of_the_same_organizing_unit_may_be_chosen(people, tree):
    member = held(tree.hutang)
    with pytest.raises(MemberError) as caught:
        services.assign_held(
            actor=people.district_admin, member_ids=[member.pk], union=tree.niutang_union
        )
    assert "湖塘镇" in caught.value.errors["unit"]
    with pytest.raises(MemberError):  # the organizing unit itself is no union
        services.assign_held(actor=people.district_admin, member_ids=[member.pk], union=tree.hutang)
    with pytest.raises(MemberError):  # another organizing unit's admin does not see them
        services.assign_held(
            actor=people.niutang_admin, member_ids=[member.pk], union=tree.niutang_union
        )
    with pytest.raises(MemberError):  # a member already in a union is not held
        services.assign_held(
            actor=people.hutang_admin, member_ids=[people.member.pk], union=tree.hutang_union_b
        )
    member.refresh_from_db()
    assert member.unit == tree.hutang
    assert Enrollment.objects.get(member=member).grassroots_union is None


@pytest.mark.django_db
def test_7a_s1_a_grassroots_clerk_never_sees_held_members(people, tree):
    held(tree.hutang)
    assert selectors.held_count(user=people.hutang_clerk) == 0
    assert selectors.held_members(user=people.hutang_clerk) == []
    assert selectors.held_count(user=people.niutang_admin) == 0
    assert selectors.held_count(user=people.district_admin) == 1


@pytest.mark.django_db
def test_7a_the_admin_assigns_held_members_through_the_page(client, people, tree):
    first = held(tree.hutang)
    second = held(tree.hutang, name="钱七", card="6231660000000007778", phone="13600001235")
    sign_in(client, people.hutang_admin)
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert 'id="held-link"' in dashboard and "待分配基层工会" in dashboard
    page = client.get(reverse("console:held")).content.decode()
    assert "赵六" in page and "钱七" in page and "136****1234" in page
    assert "13600001234" not in page  # numbers masked
    assert "2021-11-01" in page and "2022" in page
    # Nothing ticked, no union: both fields named.
    response = client.post(reverse("console:held"), {"unit": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "职工：请至少勾选一名职工" in page and "基层工会：请选择" in page
    response = client.post(
        reverse("console:held"), {"member": [first.pk, second.pk], "unit": tree.hutang_union.pk}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "没有待分配基层工会的职工" in page
    assert Member.objects.filter(unit=tree.hutang_union, pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.django_db
def test_7a_s1_other_units_held_members_and_unions_are_404_and_clerks_403(client, people, tree):
    member = held(tree.hutang)
    sign_in(client, people.niutang_admin)
    assert "赵六" not in client.get(reverse("console:held")).content.decode()
    response = client.post(
        reverse("console:held"), {"member": [member.pk], "unit": tree.niutang_union.pk}
    )
    assert response.status_code == 404
    # The district admin choosing another town's union gets the message naming the field.
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:held"), {"member": [member.pk], "unit": tree.niutang_union.pk}
    )
    assert response.status_code == 200
    assert "基层工会：请选择这些职工所属组织单位湖塘镇下在用的基层工会" in response.content.decode()
    sign_in(client, people.hutang_clerk)
    assert client.get(reverse("console:held")).status_code == 403
    assert "held-link" not in client.get(reverse("console:dashboard")).content.decode()
    member.refresh_from_db()
    assert member.unit == tree.hutang


@pytest.mark.django_db
def test_7a_moving_a_held_member_from_the_member_page_fills_the_held_enrollment(
    client, people, tree
):
    member = held(tree.hutang)
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:member_move", args=[member.pk]), {"unit": tree.hutang_union.pk}
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(member=member, year=2022)
    assert enrollment.grassroots_union == tree.hutang_union
    assert enrollment.unit_path == tree.hutang_union.path
    assert MemberChange.objects.filter(member=member, kind=ChangeKind.MOVE).count() == 1
