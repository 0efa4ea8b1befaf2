"""The member page's edit and move forms, the history, and a correction request from the
portal to the union and back (SPEC M1, S1, S2)."""

import pytest
from django.urls import reverse

from huzhu.members.models import CorrectionRequest, CorrectionStatus, Member, MemberChange
from huzhu.members.selectors import member_count_drift
from huzhu.portal.views import SESSION_KEY
from tests.conftest import add_member, sign_in


def _edit_payload(**changes):
    data = {
        "name": "张三",
        "phone": "",
        "union_card": "",
        "employer_name": "湖塘镇甲公司",
        "has_basic_insurance": "on",
        "insurance_scope": "jiangsu",
    }
    data.update(changes)
    return data


def _as_member(client, member):
    session = client.session
    session[SESSION_KEY] = [member.pk]
    session.save()


@pytest.mark.django_db
def test_m1_the_member_page_offers_edit_and_move_but_no_id_number_field(client, people):
    sign_in(client, people.hutang_admin)
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    assert 'id="edit"' in page and 'id="move"' in page
    assert 'name="id_number"' not in page
    assert "身份证号码不能修改" in page
    # The form never holds the numbers in clear.
    assert "13812345678" not in page and "6231660000000000001" not in page


@pytest.mark.django_db
def test_s1_readers_see_the_history_but_no_forms(client, people):
    reader = people.auditor
    sign_in(client, reader)
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    assert 'id="history"' in page
    assert 'id="edit"' not in page and 'id="move"' not in page


@pytest.mark.django_db
def test_s2_an_edit_through_the_page_shows_masked_history(client, people):
    sign_in(client, people.hutang_clerk)
    url = reverse("console:member_edit", args=[people.member.pk])
    response = client.post(url, _edit_payload(name="张叁", phone="139 1111 2222"))
    assert response.status_code == 302
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    assert "138****5678 → 139****2222" in page
    assert "张三 → 张叁" in page
    assert "13911112222" not in page


@pytest.mark.django_db
def test_m4_a_card_of_another_member_is_refused_on_the_page(client, people, tree):
    add_member(tree.hutang_union_b, name="王五", union_card="6231660000000009999")
    sign_in(client, people.hutang_admin)
    url = reverse("console:member_edit", args=[people.member.pk])
    response = client.post(url, _edit_payload(union_card="6231660000000009999"))
    assert response.status_code == 200
    assert "该工会卡已属于职工王五。" in response.content.decode()
    assert MemberChange.objects.count() == 0


@pytest.mark.django_db
def test_s1_move_through_the_page_keeps_counts_and_outside_scope_is_404(client, people, tree):
    add_member(tree.hutang_union, name="王五")
    sign_in(client, people.hutang_admin)
    url = reverse("console:member_move", args=[people.member.pk])
    assert client.post(url, {"unit": tree.niutang_union.pk}).status_code == 404
    assert client.post(url, {"unit": tree.hutang_union_b.pk}).status_code == 302
    assert Member.objects.get(pk=people.member.pk).unit == tree.hutang_union_b
    assert member_count_drift() == {}
    # Back again, and the counts still equal COUNT(*) per unit.
    assert client.post(url, {"unit": tree.hutang_union.pk}).status_code == 302
    assert member_count_drift() == {}
    for unit in (tree.hutang_union, tree.hutang_union_b):
        unit.refresh_from_db()
        assert unit.member_count == Member.objects.filter(unit=unit).count()
    # Now in the other union, the clerk of the first no longer sees the member.
    client.post(url, {"unit": tree.hutang_union_b.pk})
    sign_in(client, people.hutang_clerk)
    assert client.get(reverse("console:member", args=[people.member.pk])).status_code == 404


@pytest.mark.django_db
def test_correction_request_end_to_end_confirmed_through_the_pages(client, people):
    _as_member(client, people.member)
    response = client.post(
        reverse("portal:correction"),
        {"member": people.member.pk, "field": "phone", "text": "我换了手机号，尾号2222"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "申请已提交给您的工会" in page and "等待工会处理" in page
    correction = CorrectionRequest.objects.get()

    client.logout()
    sign_in(client, people.niutang_admin)
    assert "尾号2222" not in client.get(reverse("console:corrections")).content.decode()
    sign_in(client, people.hutang_clerk)
    listing = client.get(reverse("console:corrections")).content.decode()
    assert "尾号2222" in listing and "张三" in listing
    response = client.post(
        reverse("console:member_edit", args=[people.member.pk]),
        _edit_payload(phone="13911112222", correction=correction.pk),
    )
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.CONFIRMED
    assert MemberChange.objects.get().correction == correction

    client.logout()
    _as_member(client, people.member)
    page = client.get(reverse("portal:me")).content.decode()
    assert "139****2222" in page and "已更正" in page


@pytest.mark.django_db
def test_correction_request_refused_with_a_reason_the_member_reads(client, people):
    _as_member(client, people.member)
    client.post(
        reverse("portal:correction"),
        {"member": people.member.pk, "field": "name", "text": "名字应为张叁"},
    )
    correction = CorrectionRequest.objects.get()
    client.logout()
    sign_in(client, people.hutang_admin)
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    assert "名字应为张叁" in page
    response = client.post(
        reverse("console:correction_refuse", args=[correction.pk]), {"reason": "与身份证一致"}
    )
    assert response.status_code == 302
    client.logout()
    _as_member(client, people.member)
    page = client.get(reverse("portal:me")).content.decode()
    assert "已退回" in page and "与身份证一致" in page
    assert Member.objects.get(pk=people.member.pk).name == "张三"


@pytest.mark.django_db
def test_portal_correction_is_checked_limited_and_only_for_the_own_record(client, people):
    _as_member(client, people.member)
    url = reverse("portal:correction")
    response = client.post(url, {"member": people.member.pk, "field": "phone", "text": ""})
    assert response.status_code == 200 and "请说明哪里有误" in response.content.decode()
    response = client.post(url, {"member": people.member.pk, "field": "x", "text": "a"})
    assert response.status_code == 200 and "请选择有误的项目" in response.content.decode()
    response = client.post(url, {"member": "abc", "field": "phone", "text": "a"})
    assert response.status_code == 404
    response = client.post(url, {"member": people.other_member.pk, "field": "phone", "text": "a"})
    assert response.status_code == 404
    for _ in range(5):
        assert (
            client.post(
                url, {"member": people.member.pk, "field": "phone", "text": "a"}
            ).status_code
            == 302
        )
    response = client.post(url, {"member": people.member.pk, "field": "phone", "text": "a"})
    assert response.status_code == 429 and "5条申请" in response.content.decode()
    assert CorrectionRequest.objects.filter(member=people.member).count() == 5
    assert client.get(reverse("portal:me")).status_code == 200


@pytest.mark.django_db
def test_s2_correction_text_with_a_full_id_or_mobile_number_is_refused(client, people):
    _as_member(client, people.member)
    for text in (
        "身份证应为 320402 19900101 1234",
        "身份证号３２０４０２１９９００１０１１２３Ｘ",
        "新手机 139-1111-2222",
    ):
        response = client.post(
            reverse("portal:correction"),
            {"member": people.member.pk, "field": "phone", "text": text},
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "请不要在这里填写完整的身份证号码或手机号码" in page
    assert CorrectionRequest.objects.count() == 0
    # The last four digits, a date or a short number are fine.
    response = client.post(
        reverse("portal:correction"),
        {"member": people.member.pk, "field": "phone", "text": "换了手机，尾号2222，2024年1月"},
    )
    assert response.status_code == 302
    assert CorrectionRequest.objects.count() == 1
