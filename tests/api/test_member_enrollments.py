"""GET /api/v1/members/me/enrollments: the portal session's own enrollments, masked."""

import datetime

import pytest

from huzhu.enrollment import services
from huzhu.portal.views import SESSION_KEY

URL = "/api/v1/members/me/enrollments"
D = datetime.date
IN_2022 = D(2021, 11, 1)


def sign(member, year=2022, channel="paper", on=IN_2022):
    return services.sign(
        member=member, year=year, channel=channel, signed_on=on, source="console", actor=None
    )


def as_members(client, *members):
    session = client.session
    session[SESSION_KEY] = [m.pk for m in members]
    session.save()


@pytest.mark.django_db
def test_not_signed_in_is_401_json(client, people):
    sign(people.member)
    answer = client.get(URL)
    assert answer.status_code == 401
    body = answer.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "not_signed_in"
    assert "张三" not in answer.content.decode()


@pytest.mark.django_db
def test_a_member_gets_only_their_own_enrollments_masked(client, people, tree):
    paid = sign(people.member, year=2021, on=D(2020, 12, 1)).enrollment
    services.mark_paid(enrollment=paid, actor=None)
    sign(people.member, channel="online")
    sign(people.other_member)
    as_members(client, people.member)
    answer = client.get(URL)
    assert answer.status_code == 200
    body = answer.json()
    assert [m["name"] for m in body["members"]] == ["张三"]
    (member,) = body["members"]
    assert member["member_id"] == people.member.pk
    assert member["id_number_masked"] == people.member.id_number_masked
    assert [e["year"] for e in member["enrollments"]] == [2022, 2021]
    this_year, last_year = member["enrollments"]
    assert this_year == {
        "year": 2022,
        "state": "authorized",
        "state_label": "已签约，待扣款",
        "channel": "online",
        "channel_label": this_year["channel_label"],
        "organizing_unit": tree.hutang.name,
        "grassroots_union": tree.hutang_union.name,
        "covered_from": None,
        "covered_to": None,
    }
    assert this_year["channel_label"]
    assert last_year["state"] == "paid"
    assert last_year["channel"] == "paper"
    assert (last_year["covered_from"], last_year["covered_to"]) == ("2021-01-01", "2021-12-31")
    text = answer.content.decode()
    # Another member's enrollments never appear; no full numbers at all.
    assert "李四" not in text and tree.niutang.name not in text
    full = services.crypto.decrypt(people.member.id_number_encrypted)
    assert full not in text
    assert "13812345678" not in text and "6231660000000000001" not in text


@pytest.mark.django_db
def test_a_shared_phone_lists_each_signed_in_member_with_their_own_rows(client, people):
    sign(people.member)
    as_members(client, people.member, people.other_member)
    body = client.get(URL).json()
    by_name = {m["name"]: m["enrollments"] for m in body["members"]}
    assert [e["year"] for e in by_name["张三"]] == [2022]
    assert by_name["李四"] == []


@pytest.mark.django_db
def test_the_endpoint_is_in_the_openapi_document_with_its_schemas(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"][URL]["get"]
    assert set(operation["responses"]) >= {"200", "401"}
    schemas = document["components"]["schemas"]
    assert "covered_from" in schemas["EnrollmentOut"]["properties"]
    assert "id_number_masked" in schemas["MemberEnrollments"]["properties"]
