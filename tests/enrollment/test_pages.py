"""The enrollment pages: the console's list and member history with the paper signing,
and the portal's 我的参保 with renewal and revocation (SPEC E1–E5, S1)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huzhu.enrollment import services
from huzhu.enrollment.models import Authorization, Channel, Enrollment, State
from huzhu.portal.views import SESSION_KEY
from tests.conftest import add_member, sign_in

D = datetime.date
IN_2021 = D(2020, 12, 1)
IN_2022 = D(2021, 11, 1)


def sign(member, year=2022, channel="paper", on=IN_2022):
    return services.sign(
        member=member, year=year, channel=channel, signed_on=on, source="console", actor=None
    )


def as_member(client, member):
    session = client.session
    session[SESSION_KEY] = [member.pk]
    session.save()


@pytest.fixture
def today(monkeypatch):
    """The scheme date the portal pages read, set by the test."""

    def set_day(day):
        monkeypatch.setattr("huzhu.portal.views_enrollment.scheme_today", lambda: day)

    return set_day


# --- console ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_s1_niutang_sees_none_of_hutangs_enrollments(client, people):
    sign(people.member)
    sign(people.other_member)
    sign_in(client, people.niutang_admin)
    page = client.get(reverse("console:enrollments"), {"year": 2022}).content.decode()
    assert "李四" in page
    assert "张三" not in page
    url = reverse("console:member_enrollments", args=[people.member.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_s1_the_list_is_masked_and_filtered(client, people, tree):
    sign(people.member)
    other = add_member(tree.hutang_union_b, name="王五")
    sign(other, channel="online")
    services.mark_paid(enrollment=Enrollment.objects.get(member=other), actor=None)
    sign_in(client, people.hutang_admin)
    url = reverse("console:enrollments")
    page = client.get(url, {"year": 2022}).content.decode()
    assert "张三" in page and "王五" in page
    assert people.member.id_number_masked in page
    assert "*" in people.member.id_number_masked
    assert not re.search(r"\d{17}[\dX]", page)  # no full ID number anywhere
    assert "王五" not in client.get(url, {"year": 2022, "state": "authorized"}).content.decode()
    assert "张三" not in client.get(url, {"year": 2022, "channel": "online"}).content.decode()
    by_union = client.get(url, {"year": 2022, "unit": tree.hutang_union_b.pk}).content.decode()
    assert "王五" in by_union and "张三" not in by_union
    # Nonsense in the address is no filter, never a 500.
    assert client.get(url, {"year": "x", "state": "z", "unit": "9" * 40}).status_code == 200


@pytest.mark.django_db
def test_s1_the_list_pages_by_keyset_in_a_constant_number_of_queries(client, people, tree):
    sign_in(client, people.district_admin)
    url = reverse("console:enrollments")
    for i in range(3):
        sign(add_member(tree.hutang_union, phone=f"1370000{i:04d}", union_card=f"62316601{i:011d}"))
    client.get(url, {"year": 2022})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"year": 2022})
    for i in range(3, 60):
        sign(add_member(tree.hutang_union, phone=f"1370000{i:04d}", union_card=f"62316601{i:011d}"))
    with CaptureQueriesContext(connection) as many:
        first = client.get(url, {"year": 2022})
    assert len(many) == len(few)
    after = first.context["page"].next_after
    assert after is not None and len(first.context["page"].enrollments) == 50
    second = client.get(url, {"year": 2022, "after": after})
    assert len(second.context["page"].enrollments) == 10
    pager = second.content.decode()
    assert "上一页" in pager and "第一页" in pager
    before = second.context["page"].previous_before
    assert f"before={before}" in pager
    with CaptureQueriesContext(connection) as back:
        again = client.get(url, {"year": 2022, "before": before})
    assert len(back) == len(few) + 1  # the cursor's row, as a page forward
    assert [e.pk for e in again.context["page"].enrollments] == [
        e.pk for e in first.context["page"].enrollments
    ]
    assert "上一页" not in again.content.decode()
    seen = {e.pk for e in first.context["page"].enrollments}
    assert seen.isdisjoint(e.pk for e in second.context["page"].enrollments)


@pytest.mark.django_db
def test_s1_a_deep_page_reads_in_as_many_queries_as_a_shallow_one(client, people, tree):
    """The keyset pager costs one query more than the first page (the cursor's row),
    whatever the depth and the filters: no OFFSET, no query per row."""
    sign_in(client, people.hutang_admin)
    url = reverse("console:enrollments")
    for i in range(160):
        union = tree.hutang_union if i % 2 else tree.hutang_union_b
        sign(add_member(union, phone=f"1370001{i:04d}", union_card=f"62316602{i:011d}"))

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"year": 2022, **params})
        assert response.status_code == 200
        return len(queries), response.context["page"]

    client.get(url, {"year": 2022})
    first_count, page = count({})
    pages = [[e.pk for e in page.enrollments]]
    counts = []
    while page.next_after is not None:
        queries, page = count({"after": page.next_after})
        counts.append(queries)
        pages.append([e.pk for e in page.enrollments])
    assert len(counts) == 3  # four pages of 50 for 160 enrollments
    assert counts == [first_count + 1] * 3
    # Backwards from the last page: the same pages in turn, at the same cost, back to the
    # first page, which has no previous page.
    back = []
    while page.previous_before is not None:
        queries, page = count({"before": page.previous_before})
        assert queries == first_count + 1
        back.append([e.pk for e in page.enrollments])
    assert back == pages[-2::-1]
    assert page.next_after is not None and not page.has_previous
    # Filtered lists: the same number as unfiltered, first and deep.
    for params in ({"state": "authorized"}, {"channel": "paper"}):
        filtered, page = count(params)
        assert filtered == first_count and page.next_after is not None
        assert count({**params, "after": page.next_after})[0] == first_count + 1
    by_union, page = count({"unit": tree.hutang_union.pk})
    assert len(page.enrollments) == 50 and page.next_after is not None
    assert count({"unit": tree.hutang_union.pk, "after": page.next_after})[0] == by_union + 1


@pytest.mark.django_db
def test_e3_a_clerk_enrolls_a_member_on_paper_from_the_history_page(client, people):
    sign_in(client, people.hutang_clerk)
    url = reverse("console:member_enrollments", args=[people.member.pk])
    response = client.post(url, {"year": 2022, "signed_on": "2021-11-01"})
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(member=people.member, year=2022)
    assert enrollment.state == State.AUTHORIZED
    auth = Authorization.objects.get(enrollment=enrollment)
    assert (auth.channel, auth.source, auth.actor) == ("paper", "console", people.hutang_clerk)
    page = client.get(url).content.decode()
    assert "纸质签约" in page and "已签约，待扣款" in page


@pytest.mark.django_db
def test_e3_a_paper_signing_outside_the_window_is_a_form_error_in_chinese(client, people):
    sign_in(client, people.hutang_clerk)
    url = reverse("console:member_enrollments", args=[people.member.pk])
    response = client.post(url, {"year": 2022, "signed_on": "2021-12-26"})
    assert response.status_code == 200
    assert "纸质签约时间为2021年10月11日至2021年12月25日" in response.content.decode()
    assert not Enrollment.objects.exists()
    bad = client.post(url, {"year": "abc", "signed_on": "not a date"})
    assert bad.status_code == 200 and not Enrollment.objects.exists()


@pytest.mark.django_db
def test_s1_finance_sees_the_history_but_cannot_sign(client, people, tree):
    from huzhu.accounts.roles import Role
    from tests.conftest import make_user

    finance = make_user("fin", Role.FINANCE, tree.district, second_factor=True)
    sign_in(client, finance)
    url = reverse("console:member_enrollments", args=[people.member.pk])
    assert "paper-signing" not in client.get(url).content.decode()
    assert client.post(url, {"year": 2022, "signed_on": "2021-11-01"}).status_code == 403
    assert not Enrollment.objects.exists()


# --- portal -----------------------------------------------------------------------------


def _paid_2021(member):
    sign(member, year=2021, on=IN_2021)
    services.mark_paid(enrollment=Enrollment.objects.get(member=member, year=2021), actor=None)


@pytest.mark.django_db
def test_e4_a_member_paid_in_2021_renews_in_one_action_and_revokes(client, people, today):
    _paid_2021(people.member)
    today(IN_2022)
    as_member(client, people.member)
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "保障期为2021年1月1日至2021年12月31日" in page
    assert f"renew-{people.member.pk}-2022" in page
    response = client.post(
        reverse("portal:enrollment_renew"), {"member": people.member.pk, "year": 2022}
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(member=people.member, year=2022)
    auth = enrollment.authorizations.get()
    assert (auth.channel, auth.source, auth.signed_on) == (Channel.RENEWAL, "portal", IN_2022)
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "已签约，待扣款" in page and f"renew-{people.member.pk}-2022" not in page
    revoke = reverse("portal:enrollment_revoke", args=[enrollment.pk])
    confirm = client.get(revoke)
    assert confirm.status_code == 200 and "confirm-revoke" in confirm.content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).state == State.AUTHORIZED  # not yet
    assert client.post(revoke).status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).state == State.REVOKED
    assert "已解约" in client.get(reverse("portal:enrollments")).content.decode()


@pytest.mark.django_db
def test_e4_renewal_is_not_offered_to_a_member_not_paid_last_year(client, people, today):
    today(IN_2022)
    as_member(client, people.member)
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "renew-" not in page
    client.post(reverse("portal:enrollment_renew"), {"member": people.member.pk, "year": 2022})
    assert not Enrollment.objects.exists()
    assert "上一年度未缴费" in client.get(reverse("portal:enrollments")).content.decode()


@pytest.mark.django_db
def test_revoking_a_paid_year_keeps_it_covered(client, people, today):
    _paid_2021(people.member)
    today(D(2021, 3, 10))
    as_member(client, people.member)
    enrollment = Enrollment.objects.get(member=people.member, year=2021)
    url = reverse("portal:enrollment_revoke", args=[enrollment.pk])
    assert "2021年4月1日" in client.get(url).content.decode()
    client.post(url)
    enrollment.refresh_from_db()
    assert enrollment.state == State.PAID
    assert enrollment.authorizations.get().ended_on == D(2021, 4, 1)


@pytest.mark.django_db
def test_s1_a_member_sees_and_touches_only_their_own_enrollments(client, people, today):
    today(IN_2022)
    mine = sign(people.member).enrollment
    as_member(client, people.other_member)
    assert "张三" not in client.get(reverse("portal:enrollments")).content.decode()
    url = reverse("portal:enrollment_revoke", args=[mine.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    renew = client.post(
        reverse("portal:enrollment_renew"), {"member": people.member.pk, "year": 2022}
    )
    assert renew.status_code == 404
    mine.refresh_from_db()
    assert mine.state == State.AUTHORIZED
    assert mine.authorizations.get().active


@pytest.mark.django_db
def test_p2_a_member_outside_every_window_is_told_when_the_next_opens(client, people, today):
    today(D(2021, 6, 1))
    as_member(client, people.member)
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "2021年10月11日" in page
    today(D(2026, 6, 1))
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "尚未公布" in page


@pytest.mark.django_db
def test_s1_the_list_does_not_read_the_members_encrypted_numbers(client, people, tree):
    sign_in(client, people.district_admin)
    sign(add_member(tree.hutang_union, phone="13700009999", union_card="6231660300000000001"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console:enrollments"), {"year": 2022})
    assert response.status_code == 200
    assert response.context["page"].enrollments
    page_sql = [q["sql"] for q in queries if "enrollment_enrollment" in q["sql"]]
    assert page_sql
    assert not any("_encrypted" in sql for sql in page_sql)
    assert any("id_number_masked" in sql for sql in page_sql)


@pytest.mark.django_db
def test_s1_going_back_with_less_than_a_page_before_shows_the_whole_first_page(people, tree):
    from huzhu.enrollment.selectors import enrollment_page

    for i in range(60):
        sign(add_member(tree.hutang_union, phone=f"1370003{i:04d}", union_card=f"62316603{i:011d}"))
    first = enrollment_page(user=people.hutang_admin, year=2022)
    cursor = first.enrollments[10].pk
    page = enrollment_page(user=people.hutang_admin, year=2022, before=cursor)
    assert [e.pk for e in page.enrollments] == [e.pk for e in first.enrollments]
    assert page.previous_before is None and page.next_after == first.next_after
