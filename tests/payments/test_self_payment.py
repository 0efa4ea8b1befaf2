"""Self-payment notices and refunds (SPEC D2, D7, §7a)."""

import pytest
from django.test import Client

from huzhu.bank import simulated_bank
from huzhu.bank.models import BankNotice, Outcome
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Enrollment, State
from huzhu.members import crypto
from huzhu.payments.models import DeductionItem, Refund, RefundSource, SelfPayment
from huzhu.payments.models import Outcome as ItemOutcome
from huzhu.payments.services import apply_result, create_batch
from huzhu.policy.selectors import current_policies
from huzhu.portal.views import SESSION_KEY
from tests.payments.helpers import result_file, signed

SECRET = "test-bank-secret"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.HUZHU_BANK_SECRET = SECRET


def fee():
    return current_policies()[2022].fee


def payment(enrollment, amount=None, **kw):
    return simulated_bank.payment_notice(
        year=2022,
        occurred_at="2021-12-01T10:00:00+08:00",
        id_number=crypto.decrypt(enrollment.member.id_number_encrypted),
        amount=fee() if amount is None else amount,
        **kw,
    )


def send(notice):
    return simulated_bank.send(notice, SECRET, client=Client())


def state(enrollment):
    enrollment.refresh_from_db()
    return enrollment.state


def test_d2_7a_an_accepted_payment_makes_the_enrollment_paid_in_the_portal(tree, client):
    enrollment = signed(tree.hutang_union)
    notice = payment(enrollment, transaction_id="T1")
    status, answer = send(notice)
    assert (status, answer) == (200, {"status": "accepted", "enrollment_state": "paid"})
    assert state(enrollment) == State.PAID
    paid = SelfPayment.objects.get()
    assert (paid.transaction_id, paid.amount, paid.enrollment) == ("T1", fee(), enrollment)
    assert paid.notice.notice_id == notice["notice_id"]
    session = client.session
    session[SESSION_KEY] = [enrollment.member_id]
    session.save()
    body = client.get("/api/v1/members/me/enrollments").json()
    (member,) = body["members"]
    assert member["enrollments"][0]["state"] == "paid"
    assert not Refund.objects.exists()


def test_d2_the_same_notice_twice_changes_nothing(tree):
    enrollment = signed(tree.hutang_union)
    notice = payment(enrollment)
    assert send(notice)[0] == 200
    assert send(notice) == (200, {"status": "duplicate"})
    assert SelfPayment.objects.count() == 1
    assert not Refund.objects.exists()
    assert enrollment.changes.filter(to_state=State.PAID).count() == 1


def test_d2_the_same_transaction_under_another_notice_id_is_a_duplicate(tree):
    enrollment = signed(tree.hutang_union)
    assert send(payment(enrollment, transaction_id="T9"))[0] == 200
    again = payment(enrollment, transaction_id="T9")
    assert send(again) == (200, {"status": "duplicate"})
    assert SelfPayment.objects.count() == 1
    assert not Refund.objects.exists()
    assert BankNotice.objects.get(notice_id=again["notice_id"]).code == "duplicate_transaction"


def test_d2_7a_a_wrong_amount_is_409_kept_and_changes_nothing(tree):
    enrollment = signed(tree.hutang_union)
    notice = payment(enrollment, amount=fee() + 1)
    status, answer = send(notice)
    assert (status, answer["code"]) == (409, "wrong_amount")
    assert "金额" in answer["message"] or "元" in answer["message"]
    row = BankNotice.objects.get(notice_id=notice["notice_id"])
    assert (row.outcome, row.code, row.member) == (
        Outcome.REFUSED,
        "wrong_amount",
        enrollment.member,
    )
    assert state(enrollment) == State.AUTHORIZED
    assert not SelfPayment.objects.exists()


def test_d2_7a_an_id_without_an_enrollment_that_year_is_409(tree):
    enrollment = signed(tree.hutang_union, year=2021)
    notice = payment(enrollment)
    status, answer = send(notice)
    assert (status, answer["code"]) == (409, "no_enrollment")
    assert BankNotice.objects.get(notice_id=notice["notice_id"]).outcome == Outcome.REFUSED
    assert not SelfPayment.objects.exists()


def test_d2_a_revoked_enrollment_is_409(tree):
    enrollment = signed(tree.hutang_union)
    Enrollment.objects.filter(pk=enrollment.pk).update(state=State.REVOKED)
    status, answer = send(payment(enrollment))
    assert (status, answer["code"]) == (409, "enrollment_revoked")
    assert not SelfPayment.objects.exists()


def test_d7_a_self_payment_after_a_batch_debit_is_a_refund(tree):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    apply_result(content=result_file(batch), actor=None)
    assert state(enrollment) == State.PAID
    status, answer = send(payment(enrollment, transaction_id="T2"))
    assert (status, answer["status"]) == (200, "accepted")
    assert state(enrollment) == State.PAID
    refund = Refund.objects.get()
    assert (refund.enrollment, refund.amount, refund.source) == (
        enrollment,
        fee(),
        RefundSource.SELF_PAYMENT,
    )
    assert refund.self_payment.transaction_id == "T2"
    assert refund.made_at is None


def test_d7_a_self_payment_in_an_unsettled_batch_then_debited_is_one_paid_and_a_refund(tree):
    enrollment = signed(tree.hutang_union)
    other = signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    assert send(payment(enrollment))[0] == 200
    assert state(enrollment) == State.PAID

    applied = apply_result(content=result_file(batch), actor=None)

    assert (applied.debited, applied.already) == (2, False)
    assert state(enrollment) == State.PAID
    assert state(other) == State.PAID
    assert enrollment.changes.filter(to_state=State.PAID).count() == 1
    item = DeductionItem.objects.get(enrollment=enrollment)
    assert item.outcome == ItemOutcome.DEBITED
    refund = Refund.objects.get()
    assert (refund.enrollment, refund.source, refund.deduction_item) == (
        enrollment,
        RefundSource.DEDUCTION,
        item,
    )
    assert refund.amount == item.amount


def test_d7_a_debit_of_an_enrollment_paid_otherwise_meanwhile_is_kept_and_refunded(tree):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    enrollment_services.mark_paid(enrollment=enrollment, actor=None)
    applied = apply_result(content=result_file(batch), actor=None)
    assert (applied.debited, applied.refunded) == (1, 1)
    assert enrollment.changes.filter(to_state=State.PAID).count() == 1
    refund = Refund.objects.get()
    assert refund.source == RefundSource.DEDUCTION
    assert "应退还" in refund.reason


def test_d2_7a_the_simulated_banks_payment_notice_is_accepted_end_to_end(tree):
    enrollment = signed(tree.hutang_union)
    notice = simulated_bank.payment_notice(
        year=2022,
        occurred_at="2021-12-02T09:30:00+08:00",
        id_number=crypto.decrypt(enrollment.member.id_number_encrypted),
        amount=str(fee()),
    )
    body, headers = simulated_bank.signed_request(notice, SECRET)
    response = Client().post(
        simulated_bank.PATH, data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert state(enrollment) == State.PAID
    assert SelfPayment.objects.get().transaction_id == notice["transaction_id"]


def test_d7_refunds_are_listed_masked_and_marked_made_once_audited(tree):
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from huzhu.audit.models import AuditEvent

    enrollment = signed(tree.hutang_union)
    enrollment_services.mark_paid(enrollment=enrollment, actor=None)
    assert send(payment(enrollment))[0] == 200
    refund = Refund.objects.get()
    out = StringIO()
    call_command("payments", "refunds", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert (row["id"], row["amount"], row["source"]) == (refund.pk, str(fee()), "self_payment")
    clear = crypto.decrypt(enrollment.member.id_number_encrypted)
    assert clear not in out.getvalue()
    assert row["id_number_masked"] == enrollment.member.id_number_masked

    call_command("payments", "refund-made", str(refund.pk), stdout=StringIO())
    refund.refresh_from_db()
    assert refund.made_at is not None
    assert AuditEvent.objects.filter(action="refund.made", object_id=str(refund.pk)).count() == 1
    out = StringIO()
    call_command("payments", "refunds", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []
    with pytest.raises(CommandError) as again:
        call_command("payments", "refund-made", str(refund.pk), stdout=StringIO())
    assert again.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_d2_one_transaction_under_two_notice_ids_at_once_is_applied_once(tree):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    enrollment = signed(tree.hutang_union)
    requests = [
        simulated_bank.signed_request(payment(enrollment, transaction_id="T7"), SECRET)
        for _ in range(2)
    ]
    start = threading.Barrier(2, timeout=30)
    answers: list = []
    lock = threading.Lock()

    def deliver(body, headers):
        try:
            start.wait()
            response = Client().post(
                simulated_bank.PATH, data=body, content_type="application/json", headers=headers
            )
            with lock:
                answers.append(response.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer["status"] for answer in answers) == ["accepted", "duplicate"]
    assert SelfPayment.objects.count() == 1
    assert not Refund.objects.exists()
    assert state(enrollment) == State.PAID


@pytest.mark.parametrize(
    "amount", ["1e400", "1e30", "30.000", "３０", " 30", "0.3e2", "+30", "30."]
)
def test_7a_an_amount_not_written_as_yuan_with_two_places_is_422_naming_amount(tree, amount):
    """SPEC §7a: `amount` is yuan as text with at most two places. An exponent too large to
    round to fen gave a 500; "30.000", full-width digits or exponent notation were taken as 30."""
    enrollment = signed(tree.hutang_union)
    notice = payment(enrollment)
    notice["amount"] = amount
    status, answer = send(notice)
    assert (status, answer["field"]) == (422, "amount")
    assert state(enrollment) != State.PAID
    assert not SelfPayment.objects.exists()


@pytest.mark.parametrize(
    "body", [b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000]
)
def test_7a_a_signed_body_nested_too_deep_is_422_not_a_500(tree, body):
    """SPEC §7a: a body that does not match the contract answers 422 naming the field; JSON
    nested thousands deep (well within the 64 KiB limit) made the parser raise RecursionError."""
    status, answer = simulated_bank.send(body, SECRET, client=Client(raise_request_exception=False))
    assert (status, answer["field"]) == (422, "body")
    assert not BankNotice.objects.exists()


@pytest.mark.parametrize(
    ("where", "field"),
    [("notice_id", "notice_id"), ("transaction_id", "transaction_id"), ("note", "body")],
)
def test_7a_a_nul_character_anywhere_in_a_notice_is_422(tree, where, field):
    """SPEC §7a, §14: PostgreSQL cannot store U+0000 in text or jsonb, so a notice carrying
    one (in an id, or in an extra key kept in the masked body) answered 500 there; SQLite
    stored it. Both now refuse it naming the field."""
    enrollment = signed(tree.hutang_union)
    notice = payment(enrollment)
    notice[where] = "T\x001"
    status, answer = send(notice)
    assert (status, answer["field"]) == (422, field)
    assert not BankNotice.objects.exists()
    assert state(enrollment) != State.PAID
