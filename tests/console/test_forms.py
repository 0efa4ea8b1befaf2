"""Registering members and adding units through the console: bad input gets a Chinese
message naming the field, and nothing outside the user's subtree can be chosen."""

import pytest
from django.urls import reverse

from huzhu.members.models import Member
from huzhu.org.models import Unit
from tests.conftest import make_id_number, sign_in


def form_data(tree, **changes):
    data = {
        "name": "王 五",
        "id_number": make_id_number().lower(),
        "phone": "+86 137-0000-1111",
        "union_card": "6231 6600 0000 0009 999",
        "unit": tree.hutang_union.pk,
        "employer_name": "甲公司",
        "has_basic_insurance": "on",
        "insurance_scope": "jiangsu",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_clerk_registers_a_member_with_normalised_values(client, people, tree):
    sign_in(client, people.hutang_clerk)
    response = client.post(reverse("console:member_new"), form_data(tree), follow=True)
    assert "已登记职工王五" in response.content.decode()
    member = Member.objects.get(name="王五")
    assert member.phone_masked == "137****1111" and member.unit == tree.hutang_union


@pytest.mark.django_db
def test_bad_values_are_named_per_field_in_chinese(client, people, tree):
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:member_new"),
        form_data(tree, id_number="110105491231002", phone="0519-86123456", union_card="123"),
    )
    html = response.content.decode()
    assert "身份证号码：这是旧的15位身份证号码" in html
    assert "手机号码：这像是固定电话号码" in html
    assert "工会卡号：工会卡号应为16至19位数字" in html
    assert not Member.objects.filter(name="王五").exists()


@pytest.mark.django_db
def test_a_union_outside_the_subtree_cannot_be_chosen(client, people, tree):
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:member_new"), form_data(tree, unit=tree.niutang_union.pk)
    )
    assert response.status_code == 200
    assert not Member.objects.filter(name="王五").exists()
    assert "牛塘镇丙公司工会" not in response.content.decode()


@pytest.mark.django_db
def test_auditor_cannot_register_members(client, people, tree):
    sign_in(client, people.auditor)
    assert client.post(reverse("console:member_new"), form_data(tree)).status_code == 403


@pytest.mark.django_db
def test_town_admin_adds_a_grassroots_union_under_own_town_only(client, people, tree):
    sign_in(client, people.hutang_admin)
    client.post(reverse("console:units"), {"name": "湖塘镇丁公司工会", "parent": tree.hutang.pk})
    added = Unit.objects.get(name="湖塘镇丁公司工会")
    assert added.kind == "grassroots" and added.parent == tree.hutang
    client.post(reverse("console:units"), {"name": "越权工会", "parent": tree.niutang.pk})
    assert not Unit.objects.filter(name="越权工会").exists()


@pytest.mark.django_db
def test_a_duplicate_unit_name_is_refused_with_a_message(client, people, tree):
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:units"), {"name": "湖塘镇甲公司工会", "parent": tree.hutang.pk}
    )
    assert "该处已有同名单位" in response.content.decode()


@pytest.mark.django_db
def test_clerk_cannot_add_units(client, people, tree):
    sign_in(client, people.hutang_clerk)
    response = client.post(reverse("console:units"), {"name": "x", "parent": tree.hutang.pk})
    assert response.status_code == 403
