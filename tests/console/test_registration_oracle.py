"""SPEC S2 with M1 and M4: the registration form is no district-wide lookup of full numbers.

A number already held in the user's own scope is named and linked (they can open that
member anyway). One held in another unit is answered without naming anything about it,
costs one lookup of the hour the search by full number counts too, and is audited with the
masked number; once the hour's lookups are spent such a registration is refused."""

import re

import pytest
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.members.models import Member
from huzhu.members.services import reveal_identity
from tests.conftest import make_id_number, sign_in

ELSEWHERE_ID = "该身份证号码已在其他单位登记，请联系区总工会。"
ELSEWHERE_CARD = "该工会卡已由其他单位的职工登记，请联系区总工会。"
SPENT = "本小时按完整号码查找的次数过多"


def register(client, unit, *, id_number=None, union_card="6231669999999999991"):
    return client.post(
        reverse("console:member_new"),
        {
            "name": "测试",
            "id_number": id_number or make_id_number(),
            "phone": "13811112222",
            "union_card": union_card,
            "unit": unit.pk,
            "has_basic_insurance": "on",
            "insurance_scope": "jiangsu",
        },
    )


def errors(response) -> str:
    return " ".join(re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.content.decode()))


@pytest.fixture
def other(people):
    """李四 of 牛塘镇, outside the 湖塘镇 clerk's scope: their full numbers."""
    return reveal_identity(actor=None, member=people.other_member)


@pytest.mark.django_db
def test_s2_an_id_number_of_another_town_names_nothing_about_it(client, people, tree, other):
    sign_in(client, people.hutang_clerk)
    response = register(client, tree.hutang_union, id_number=other["id_number"])
    assert response.status_code == 200
    text = errors(response)
    assert ELSEWHERE_ID in text
    page = response.content.decode()
    link = reverse("console:member", args=[people.other_member.pk])
    for leak in ("李四", "牛塘", "已存在", link):
        assert leak not in page
    assert Member.objects.filter(name="测试").count() == 0


@pytest.mark.django_db
def test_s2_a_union_card_of_another_town_names_nothing_about_it(client, people, tree, other):
    sign_in(client, people.hutang_clerk)
    response = register(client, tree.hutang_union, union_card=other["union_card"])
    text = errors(response)
    assert ELSEWHERE_CARD in text and "李四" not in response.content.decode()
    assert "另一名职工" not in text


@pytest.mark.django_db
def test_s3_a_number_of_another_unit_met_at_registration_is_audited_masked(
    client, people, tree, other
):
    sign_in(client, people.hutang_clerk)
    register(client, tree.hutang_union, id_number=other["id_number"])
    register(client, tree.hutang_union, union_card=other["union_card"])
    events = AuditEvent.objects.filter(action="member.number_elsewhere").order_by("id")
    assert [e.data["kind"] for e in events] == ["id", "card"]
    first = events[0]
    assert first.actor_user == people.hutang_clerk
    assert first.unit_path == people.hutang_clerk.unit_path
    assert first.data["masked"] == people.other_member.id_number_masked
    assert first.data["unit_path"] == people.other_member.unit_path
    assert events[1].data["masked"] == people.other_member.union_card_masked
    stored = str(list(events.values_list("summary", "data")))
    assert other["id_number"] not in stored and other["union_card"] not in stored


@pytest.mark.django_db
def test_s2_registrations_meeting_other_units_numbers_share_the_searchs_hourly_limit(
    client, people, tree, other, settings
):
    settings.HUZHU_NUMBER_SEARCHES_PER_HOUR = 3
    sign_in(client, people.hutang_clerk)
    own_id = reveal_identity(actor=None, member=people.member)["id_number"]
    # Two searches by full number and one registration use up the hour's three lookups.
    for _ in range(2):
        assert client.post(reverse("console:members"), {"q": own_id}).status_code == 200
    assert ELSEWHERE_ID in errors(register(client, tree.hutang_union, id_number=other["id_number"]))
    refused = register(client, tree.hutang_union, id_number=other["id_number"])
    assert refused.status_code == 429
    assert SPENT in errors(refused) and ELSEWHERE_ID not in errors(refused)
    assert client.post(reverse("console:members"), {"q": own_id}).status_code == 429
    # A number nobody holds still registers: only lookups of other units' numbers are limited.
    assert register(client, tree.hutang_union, union_card="6231669999999999992").status_code == 302
    allowed = AuditEvent.objects.filter(action="member.number_elsewhere").values_list(
        "data__allowed", flat=True
    )
    assert sorted(allowed) == [False, True]


@pytest.mark.django_db
def test_m1_a_number_in_the_users_own_scope_names_and_links_the_member(client, people, tree):
    mine = reveal_identity(actor=None, member=people.member)
    sign_in(client, people.hutang_admin)
    response = register(client, tree.hutang_union_b, id_number=mine["id_number"])
    assert "该身份证号码的职工已登记：张三。" in errors(response)
    link = reverse("console:member", args=[people.member.pk])
    assert f'href="{link}"' in response.content.decode()
    response = register(client, tree.hutang_union_b, union_card=mine["union_card"])
    assert "该工会卡已属于职工张三。" in errors(response)
    # Nothing spent from the hour's lookups, nothing to audit: they can see the member.
    assert not AuditEvent.objects.filter(action="member.number_elsewhere").exists()


@pytest.mark.django_db
def test_m1_the_district_admin_sees_every_duplicate_as_their_own(client, people, tree, other):
    sign_in(client, people.district_admin)
    response = register(client, tree.hutang_union, id_number=other["id_number"])
    assert "该身份证号码的职工已登记：李四。" in errors(response)
