"""Bank notices through POST /api/v1/bank/notices (SPEC §7a)."""

import json
import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from huzhu.bank import adapters, simulated_bank
from huzhu.bank.models import BankNotice, Outcome
from huzhu.enrollment.models import Authorization, Enrollment, State
from huzhu.members.models import Member
from tests.conftest import make_id_number

SECRET = "test-bank-secret"
PATH = simulated_bank.PATH


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.HUZHU_BANK_SECRET = SECRET


def person(**changes):
    data = {
        "name": "赵六",
        "id_number": make_id_number("19880808"),
        "phone": "13600001234",
        "union_card": "6231660000000007777",
        "town": "湖塘镇",
        "employer": "湖塘镇丁公司",
        "has_basic_insurance": True,
        "insurance_scope": "jiangsu",
    }
    data.update(changes)
    return data


def signing(year=2022, occurred_at="2021-11-01T10:00:00+08:00", **member):
    return simulated_bank.signing_notice(
        year=year, occurred_at=occurred_at, member=person(**member)
    )


def send(notice, **kw):
    return simulated_bank.send(notice, SECRET, client=Client(), **kw)


@pytest.mark.django_db
def test_7a_an_accepted_signing_creates_member_enrollment_and_online_authorization(tree):
    notice = signing()
    status, answer = send(notice)
    assert (status, answer) == (200, {"status": "accepted", "enrollment_state": "authorized"})
    member = Member.objects.get(name="赵六")
    assert member.unit == tree.hutang  # held under the organizing unit
    enrollment = Enrollment.objects.get(member=member, year=2022)
    assert enrollment.organizing_unit == tree.hutang
    assert enrollment.grassroots_union is None
    assert enrollment.unit_path == tree.hutang.path
    authorization = enrollment.authorizations.get()
    assert (authorization.channel, authorization.source) == ("online", "bank_notice")
    row = BankNotice.objects.get(notice_id=notice["notice_id"])
    assert (row.outcome, row.member, row.enrollment) == (Outcome.ACCEPTED, member, enrollment)


@pytest.mark.django_db
def test_7a_a_signing_of_a_known_member_signs_them_where_they_are(people):
    member = people.member
    notice = signing(id_number=_clear_id(member), union_card="6231660000000000001", name="张三")
    status, answer = send(notice)
    assert status == 200, answer
    enrollment = Enrollment.objects.get(member=member, year=2022)
    assert enrollment.grassroots_union == people.member.unit
    assert Member.objects.filter(name="张三").count() == 1


def _clear_id(member):
    from huzhu.members import crypto

    return crypto.decrypt(member.id_number_encrypted)


@pytest.mark.django_db
def test_7a_a_bank_notice_keeps_numbers_masked_at_rest(tree):
    notice = signing()
    send(notice)
    row = BankNotice.objects.get()
    stored = json.dumps(row.body_masked) + row.body_encrypted
    for secret in ("id_number", "phone", "union_card"):
        assert notice["member"][secret] not in stored
    assert row.body_masked["member"]["phone"] == "136****1234"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Huzhu-Timestamp": "1"}, {"X-Huzhu-Signature": "0" * 64}],
)
def test_7a_an_unsigned_notice_answers_401(tree, headers):
    body = json.dumps(signing()).encode()
    response = Client().post(PATH, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not BankNotice.objects.exists()
    assert not Member.objects.filter(name="赵六").exists()


@pytest.mark.django_db
def test_7a_a_forged_signature_answers_401(tree):
    body, headers = simulated_bank.signed_request(signing(), "not-the-secret")
    response = Client().post(PATH, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    # The body changed after signing: the signature no longer matches.
    body, headers = simulated_bank.signed_request(signing(), SECRET)
    tampered = body.replace(b"2022", b"2021")
    response = Client().post(PATH, data=tampered, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not BankNotice.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("skew", "status"), [(-301, 401), (-300, 200), (300, 200), (301, 401)])
def test_7a_a_timestamp_more_than_300_seconds_off_answers_401(tree, monkeypatch, skew, status):
    now = int(time.time())
    monkeypatch.setattr(adapters.default_adapter, "clock", lambda: float(now))
    code, answer = send(signing(), timestamp=now + skew)
    assert code == status, answer
    assert BankNotice.objects.count() == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_7a_a_replayed_notice_is_a_duplicate_and_changes_nothing(tree):
    notice = signing()
    assert send(notice)[0] == 200
    counts = (Member.objects.count(), Authorization.objects.count(), BankNotice.objects.count())
    tree.hutang.refresh_from_db()
    member_count = tree.hutang.member_count
    status, answer = send(notice)
    assert (status, answer) == (200, {"status": "duplicate"})
    assert (
        Member.objects.count(),
        Authorization.objects.count(),
        BankNotice.objects.count(),
    ) == counts
    tree.hutang.refresh_from_db()
    assert tree.hutang.member_count == member_count


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda n: n.pop("notice_id"), "notice_id"),
        (lambda n: n.update(type="refund"), "type"),
        (lambda n: n.update(year="2022"), "year"),
        (lambda n: n.update(occurred_at="2021-11-01T10:00:00"), "occurred_at"),
        (lambda n: n["member"].pop("phone"), "member.phone"),
        (lambda n: n["member"].update(has_basic_insurance="是"), "member.has_basic_insurance"),
        (lambda n: n["member"].update(insurance_scope="mars"), "member.insurance_scope"),
        (lambda n: n.pop("member"), "member"),
    ],
)
def test_7a_a_body_off_the_contract_answers_422_naming_the_field(tree, change, field):
    notice = signing()
    change(notice)
    status, answer = send(notice)
    assert status == 422
    assert answer["field"] == field
    assert not BankNotice.objects.exists()


@pytest.mark.django_db
def test_7a_a_body_that_is_not_json_answers_422(tree):
    status, answer = send(b"\xff not json")
    assert (status, answer["field"]) == (422, "body")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["sixty", "60.001", "-60.00", 60])
def test_7a_a_payment_notice_with_a_bad_amount_answers_422_naming_it(tree, amount):
    notice = {
        "notice_id": "p1",
        "type": "payment",
        "year": 2022,
        "occurred_at": "2021-11-01T10:00:00+08:00",
        "member": {"id_number": make_id_number()},
        "amount": amount,
        "transaction_id": "t1",
    }
    status, answer = send(notice)
    assert (status, answer["field"]) == (422, "amount")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("member", "code"),
    [
        ({"town": "火星镇"}, "unknown_organizing_unit"),
        ({"has_basic_insurance": False}, "no_basic_insurance"),
    ],
)
def test_7a_a_refused_notice_answers_409_and_is_kept(tree, member, code):
    notice = signing(**member)
    status, answer = send(notice)
    assert status == 409
    assert answer["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"])  # Chinese
    row = BankNotice.objects.get(notice_id=notice["notice_id"])
    assert (row.outcome, row.code) == (Outcome.REFUSED, code)
    # Nothing of the refused notice stays but the kept notice itself.
    assert not Member.objects.filter(name="赵六").exists()
    assert not Enrollment.objects.exists()
    # The same notice again is a duplicate of the kept one.
    assert send(notice) == (200, {"status": "duplicate"})


@pytest.mark.django_db
def test_7a_e3_the_2021_online_window_is_judged_on_the_shanghai_date(tree):
    # 2021 online window ends 2020-12-18 (SPEC P2).
    inside = signing(year=2021, occurred_at="2020-12-18T23:30:00+08:00")
    assert send(inside)[0] == 200
    # The same moment written in UTC is still the 18th in Shanghai.
    utc = signing(
        year=2021,
        occurred_at="2020-12-18T15:59:00+00:00",
        id_number=make_id_number("19700101"),
        union_card="6231660000000006666",
    )
    assert send(utc)[0] == 200
    # 16:10 UTC on the 18th is 00:10 on the 19th in Shanghai: outside.
    for late in ("2020-12-19T00:10:00+08:00", "2020-12-18T16:10:00+00:00"):
        notice = signing(
            year=2021,
            occurred_at=late,
            id_number=make_id_number("19750101"),
            union_card="6231660000000005555",
        )
        status, answer = send(notice)
        assert (status, answer["code"]) == (409, "outside_window")
        assert "2020年12月19日" in answer["message"]


@pytest.mark.django_db
def test_7a_a_revocation_notice_revokes_the_unpaid_enrollment(tree):
    notice = signing()
    send(notice)
    revocation = {
        "notice_id": "r-1",
        "type": "revocation",
        "year": 2022,
        "occurred_at": "2021-11-05T09:00:00+08:00",
        "member": {"id_number": notice["member"]["id_number"]},
    }
    status, answer = send(revocation)
    assert (status, answer) == (200, {"status": "accepted", "enrollment_state": "revoked"})
    enrollment = Enrollment.objects.get()
    assert enrollment.state == State.REVOKED
    assert not enrollment.authorizations.filter(active=True).exists()


@pytest.mark.django_db
def test_7a_a_revocation_of_an_unknown_member_is_refused_and_kept(tree):
    revocation = {
        "notice_id": "r-2",
        "type": "revocation",
        "year": 2022,
        "occurred_at": "2021-11-05T09:00:00+08:00",
        "member": {"id_number": make_id_number()},
    }
    status, answer = send(revocation)
    assert (status, answer["code"]) == (409, "unknown_member")
    assert BankNotice.objects.get().outcome == Outcome.REFUSED


@pytest.mark.django_db(transaction=True)
def test_7a_two_deliveries_of_one_notice_at_once_give_one_accepted_one_duplicate(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    notice = signing()
    body, headers = simulated_bank.signed_request(notice, SECRET)
    start = threading.Barrier(2, timeout=30)
    answers: list = []
    lock = threading.Lock()

    def deliver():
        try:
            start.wait()
            response = Client().post(
                PATH, data=body, content_type="application/json", headers=headers
            )
            with lock:
                answers.append(response.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer["status"] for answer in answers) == ["accepted", "duplicate"]
    assert BankNotice.objects.count() == 1
    assert Authorization.objects.count() == 1


@pytest.mark.django_db
def test_7a_refused_notices_are_listed_masked_for_the_district(people, client):
    from tests.conftest import sign_in

    notice = signing(town="火星镇")
    send(notice)
    accepted = signing(id_number=make_id_number("19660606"), union_card="6231660000000004444")
    send(accepted)
    sign_in(client, people.auditor)
    page = client.get("/console/bank-notices/").content.decode()
    assert notice["notice_id"] in page
    assert accepted["notice_id"] not in page
    assert "火星镇" in page
    assert notice["member"]["id_number"] not in page
    assert notice["member"]["id_number"][:3] in page


@pytest.mark.django_db
def test_7a_the_simulate_signing_command_sends_a_notice_the_endpoint_accepts(tree, monkeypatch):
    import io

    from django.core.management import call_command

    sent = simulated_bank.send

    def through_test_client(notice, secret, *, url=None, client=None, timestamp=None):
        assert url == "http://127.0.0.1:8000"
        return sent(notice, secret, client=Client())

    monkeypatch.setattr(simulated_bank, "send", through_test_client)
    out = io.StringIO()
    call_command(
        "bank",
        "simulate-signing",
        "--url=http://127.0.0.1:8000",
        "--year=2022",
        "--occurred-at=2021-11-02T09:00:00+08:00",
        "--name=钱七",
        f"--id-number={make_id_number('19770707')}",
        "--phone=13500005678",
        "--union-card=6231660000000003333",
        "--town=湖塘镇",
        stdout=out,
    )
    assert out.getvalue().startswith("200 ")
    assert Enrollment.objects.filter(member__name="钱七", year=2022).exists()


@pytest.mark.django_db
def test_7a_a_member_held_under_the_organizing_unit_shows_to_its_admin_only(people, client):
    from tests.conftest import sign_in

    send(signing())
    member = Member.objects.get(name="赵六")
    sign_in(client, people.hutang_admin)
    assert client.get(f"/console/members/{member.pk}/").status_code == 200
    assert "赵六" in client.get("/console/members/").content.decode()
    sign_in(client, people.niutang_admin)
    assert client.get(f"/console/members/{member.pk}/").status_code == 404
    sign_in(client, people.hutang_clerk)
    assert client.get(f"/console/members/{member.pk}/").status_code == 404


@pytest.mark.django_db
def test_7a_m6_a_signing_naming_another_card_than_the_members_is_refused(people):
    notice = signing(id_number=_clear_id(people.member), union_card="6231660000000000002")
    status, answer = send(notice)
    assert (status, answer["code"]) == (409, "card_of_other_member")
    assert not Enrollment.objects.exists()
    assert BankNotice.objects.get().member == people.member  # linked for the follow-up


@pytest.mark.django_db
def test_7a_a_revocation_notice_of_a_paid_year_keeps_it_covered(tree):
    from huzhu.enrollment import services

    notice = signing()
    send(notice)
    services.mark_paid(enrollment=Enrollment.objects.get(), actor=None)
    revocation = {
        "notice_id": "r-3",
        "type": "revocation",
        "year": 2022,
        "occurred_at": "2021-12-10T09:00:00+08:00",
        "member": {"id_number": notice["member"]["id_number"]},
    }
    assert send(revocation) == (200, {"status": "accepted", "enrollment_state": "paid"})
    authorization = Authorization.objects.get()
    assert not authorization.active
    assert str(authorization.ended_on) == "2022-01-01"


@pytest.mark.django_db
def test_7a_a_notice_over_the_size_cap_answers_413_and_stores_nothing(tree):
    from huzhu.api.bank_schema import MAX_BODY_BYTES

    body = json.dumps(signing()).encode()
    body += b" " * (MAX_BODY_BYTES + 1 - len(body))
    body, headers = simulated_bank.signed_request(body, SECRET)
    response = Client().post(PATH, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert "KiB" in response.json()["message"]
    assert not BankNotice.objects.exists()
    assert not Member.objects.filter(name="赵六").exists()


@pytest.mark.django_db
def test_7a_a_notice_at_the_size_cap_is_not_refused_for_its_size(tree):
    from huzhu.api.bank_schema import MAX_BODY_BYTES

    body = json.dumps(signing()).encode()
    body += b" " * (MAX_BODY_BYTES - len(body))
    assert len(body) == MAX_BODY_BYTES
    status, answer = send(body)
    assert (status, answer["status"]) == (200, "accepted")
    assert BankNotice.objects.count() == 1


def test_7a_the_openapi_document_states_the_notice_size_cap(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/bank/notices"]["post"]
    assert "413" in operation["responses"]


@pytest.mark.django_db
def test_7a_a_signing_of_a_known_member_updates_changed_details_with_history(people):
    from huzhu.members.models import MemberChange

    member = people.member
    notice = signing(
        id_number=_clear_id(member),
        name="张三",
        phone="13999990000",
        union_card="6231660000000008888",
        employer="湖塘镇戊公司",
        insurance_scope="other_province",
    )
    status, answer = send(notice)
    assert status == 200, answer
    member.refresh_from_db()
    assert member.phone_masked == "139****0000"
    assert member.union_card_masked.endswith("8888")
    assert (member.employer_name, member.insurance_scope) == ("湖塘镇戊公司", "other_province")
    assert member.unit == people.member.unit  # the unit is not the notice's to change
    change = MemberChange.objects.get(member=member)
    assert change.actor_label == f"银行签约通知 {notice['notice_id']}"
    assert {c["field"] for c in change.changes} == {
        "phone",
        "union_card",
        "employer_name",
        "insurance_scope",
    }
    # Numbers are masked in the history too.
    assert "13999990000" not in json.dumps(change.changes)
    assert Enrollment.objects.get(member=member, year=2022).grassroots_union == member.unit
    # The same details again change nothing and write no history.
    status, answer = send(
        signing(
            occurred_at="2021-11-02T10:00:00+08:00",
            **{
                "id_number": _clear_id(member),
                "name": "张三",
                "phone": "13999990000",
                "union_card": "6231660000000008888",
                "employer": "湖塘镇戊公司",
                "insurance_scope": "other_province",
            },
        )
    )
    assert status == 200, answer
    assert MemberChange.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_7a_m4_a_known_members_notice_naming_anothers_card_changes_nothing(people):
    from huzhu.members.models import MemberChange

    notice = signing(
        id_number=_clear_id(people.member), phone="13999990000", union_card="6231660000000000002"
    )
    status, answer = send(notice)
    assert (status, answer["code"]) == (409, "card_of_other_member")
    assert "李四" not in answer["message"]
    people.member.refresh_from_db()
    assert people.member.phone_masked == "138****5678"
    assert not MemberChange.objects.exists()
    assert BankNotice.objects.get().outcome == Outcome.REFUSED


@pytest.mark.django_db
def test_7a_a_known_members_notice_naming_another_town_keeps_their_unit(people):
    notice = signing(
        id_number=_clear_id(people.member),
        name="张三",
        union_card="6231660000000000001",
        town="牛塘镇",
    )
    status, answer = send(notice)
    assert status == 200, answer
    people.member.refresh_from_db()
    assert people.member.unit_path.startswith(people.member.unit.path)
    enrollment = Enrollment.objects.get(member=people.member, year=2022)
    assert enrollment.organizing_unit.name == "湖塘镇"
    row = BankNotice.objects.get()
    assert (row.outcome, row.code) == (Outcome.ACCEPTED, "other_town")
    assert "牛塘镇" in row.message and "湖塘镇" in row.message
