"""SPEC S2: the member search is no oracle. Full numbers are searched only by roles that may
see them, by POST, rate-limited and audited with the masked number; everyone else searches
by name or by what the lists already show."""

import datetime

import pytest
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.members.rules import id_check_char
from huzhu.members.services import reveal_identity
from tests.conftest import make_user, sign_in


@pytest.fixture
def finance(tree):
    return make_user("finance", "finance", tree.district, second_factor=True)


@pytest.fixture
def full_id(people):
    return reveal_identity(actor=None, member=people.member)["id_number"]


def search(client, q, method="post"):
    return getattr(client, method)(reverse("console:members"), {"q": q})


def candidates(id_number, years):
    """Every valid ID that fits the masked 320412********1234 for birth dates in `years`:
    what an attacker would try (about 1,600 for the working ages)."""
    found = []
    for year in years:
        day = datetime.date(year, 1, 1)
        while day.year == year:
            first17 = f"{id_number[:6]}{day:%Y%m%d}{id_number[14:17]}"
            if id_check_char(first17) == id_number[17]:
                found.append(first17 + id_check_char(first17))
            day += datetime.timedelta(days=1)
    return found


@pytest.mark.django_db
def test_s2_finance_cannot_search_by_full_id_number(client, people, finance, full_id):
    sign_in(client, finance)
    page = client.get(reverse("console:members")).content.decode()
    assert 'method="post"' in page  # the search box never puts what was typed in the URL
    response = search(client, full_id)
    html = response.content.decode()
    assert response.status_code == 403  # answered in place: no redirect carries the number
    assert "不能按完整身份证号或手机号查询" in html and "张三" not in html
    assert full_id not in html  # not echoed into the box or any pager link
    for method in ("post", "get"):
        assert "张三" not in search(client, "13812345678", method).content.decode()
    assert not AuditEvent.objects.filter(action="member.search_number").exists()


@pytest.mark.django_db
def test_s2_no_search_of_finance_tells_a_right_number_from_a_wrong_one(
    client, people, finance, full_id
):
    sign_in(client, finance)
    tries = candidates(full_id, range(1983, 1988))
    assert full_id in tries and len(tries) > 150
    for candidate in tries:
        for method in ("get", "post"):
            assert "张三" not in search(client, candidate, method).content.decode()


@pytest.mark.django_db
def test_s2_finance_finds_members_by_name_and_last_four_digits(client, people, finance, full_id):
    sign_in(client, finance)
    assert "张三" in search(client, "张三", "get").content.decode()
    assert "张三" in search(client, full_id[-4:], "get").content.decode()
    assert "张三" in search(client, "5678", "get").content.decode()  # the phone's last four
    assert "张三" in search(client, people.member.id_number_masked, "get").content.decode()


@pytest.mark.django_db
def test_s2_a_posted_name_comes_back_as_a_page_address(client, people):
    sign_in(client, people.hutang_admin)
    response = search(client, "张三")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:members") + "?q=%E5%BC%A0%E4%B8%89"


@pytest.mark.django_db
def test_s2_full_number_search_is_audited_with_the_masked_number(client, people, full_id):
    sign_in(client, people.hutang_admin)
    response = search(client, full_id)
    html = response.content.decode()
    assert response.status_code == 200  # answered directly: no redirect carries the number
    assert "张三" in html and full_id not in html
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="member.search_number")
    assert event.actor_user == people.hutang_admin
    assert people.member.id_number_masked in event.summary
    assert full_id not in f"{event.summary} {event.data}"
    assert event.data["found"] == [people.member.pk]


@pytest.mark.django_db
def test_s2_full_phone_search_finds_the_member(client, people):
    sign_in(client, people.hutang_admin)
    assert "张三" in search(client, "+86 138-1234-5678").content.decode()
    event = AuditEvent.objects.get(action="member.search_number")
    assert event.data["masked"] == "138****5678" and "13812345678" not in str(event.data)


@pytest.mark.django_db
def test_s2_full_number_searches_are_limited_per_user(client, people, full_id, settings):
    settings.HUZHU_NUMBER_SEARCHES_PER_HOUR = 3
    sign_in(client, people.hutang_admin)
    for _ in range(3):
        assert search(client, full_id).status_code == 200
    refused = search(client, full_id)
    assert refused.status_code == 429
    assert "按完整号码查询的次数过多" in refused.content.decode()
    assert AuditEvent.objects.filter(action="member.search_number").count() == 3
    sign_in(client, people.hutang_clerk)  # another user has their own allowance
    assert search(client, full_id).status_code == 200


@pytest.mark.django_db
def test_s2_a_full_number_in_the_address_is_not_searched(client, people, full_id):
    sign_in(client, people.hutang_admin)
    html = search(client, full_id, "get").content.decode()
    assert "张三" not in html and "不从地址栏" in html
    assert not AuditEvent.objects.filter(action="member.search_number").exists()


@pytest.mark.django_db
def test_s1_searching_a_full_id_of_another_town_finds_nothing(client, people):
    other_id = reveal_identity(actor=None, member=people.other_member)["id_number"]
    sign_in(client, people.hutang_admin)
    assert "李四" not in search(client, other_id).content.decode()
    sign_in(client, people.niutang_admin)
    assert "李四" in search(client, other_id).content.decode()


@pytest.mark.django_db
def test_partial_numbers_get_a_message_not_a_search(client, people):
    sign_in(client, people.hutang_admin)
    for q in ("3204121985", "138123"):
        for method in ("get", "post"):
            response = search(client, q, method)
            html = response.content.decode()
            assert response.status_code == 200
            assert "请按姓名、身份证号或手机号的后四位" in html and "张三" not in html


@pytest.mark.django_db
def test_s3_refused_searches_by_full_number_leave_a_masked_trace(
    client, people, finance, full_id, settings
):
    settings.HUZHU_NUMBER_SEARCHES_PER_HOUR = 1
    sign_in(client, finance)
    assert search(client, full_id).status_code == 403
    assert search(client, full_id, "get").status_code == 403
    assert search(client, "13812345678").status_code == 403
    sign_in(client, people.hutang_admin)
    search(client, full_id, "get")  # typed into the address: not searched
    search(client, full_id)
    assert search(client, full_id).status_code == 429
    refused = AuditEvent.objects.filter(action="member.search_number_refused").order_by("id")
    assert [(e.actor_user.username, e.data["reason"]) for e in refused] == [
        ("finance", "role"),
        ("finance", "role"),
        ("finance", "role"),
        ("hutang", "address"),
        ("hutang", "throttled"),
    ]
    assert refused[0].data["masked"] == people.member.id_number_masked
    assert refused[2].data == {"kind": "phone", "masked": "138****5678", "reason": "role"}
    assert full_id not in str(list(refused.values_list("summary", "data")))


@pytest.mark.django_db
def test_s3_a_refused_full_view_is_audited_with_the_masked_number(client, people, finance):
    sign_in(client, finance)
    response = client.post(reverse("console:member_reveal", args=[people.member.pk]))
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="member.reveal_refused")
    assert event.actor_user == finance and event.object_id == str(people.member.pk)
    assert event.summary == f"张三 {people.member.id_number_masked}"
    full = reveal_identity(actor=None, member=people.member)
    assert full["id_number"] not in f"{event.summary} {event.data} {response.content.decode()}"
    assert not AuditEvent.objects.filter(action="member.reveal", actor_user=finance).exists()
