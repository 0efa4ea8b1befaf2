"""Payouts of approved claims (SPEC C4, C5, D4, D5, D9, B-X3, §14): a batch, its bank file,
the simulated bank's answer applied all or nothing, retries, offsets of recoveries, and the
fund ledger that still balances."""

import io
import json
from decimal import Decimal
from string import ascii_letters

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.bank.simulated_bank import answer_payout_file
from huzhu.claims import payouts
from huzhu.claims.models import (
    ClaimEvent,
    ClaimState,
    PayoutFile,
    PayoutItem,
    PayoutOutcome,
    RecoveryCase,
    RecoveryPayment,
    RefusedPayoutFile,
)
from huzhu.ledger import reconcile
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.ledger.services import correct
from huzhu.members.models import Member
from huzhu.members.sms import OutboxSender
from huzhu.payments.bankfile import ENCODING, PaymentFileError, money
from tests.claims.helpers import approved, hospital_facts, paid_member
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db
S = ClaimState


def approved_claim(tree, reviewers, name="赵六"):
    member = paid_member(tree.hutang_union, name=name)
    return approved(member, hospital_facts(), reviewers.agency, second=reviewers.district)


def answer(batch, failures=None) -> bytes:
    """The simulated bank's result: `failures` claim → reason key."""
    by_claim = dict(PayoutItem.objects.filter(batch=batch).values_list("claim", "pk"))
    chosen = {str(by_claim[claim.pk]): reason for claim, reason in (failures or {}).items()}
    return answer_payout_file(payouts.request_content(batch), failures=chosen)


def lines(content: bytes) -> list[list[str]]:
    return [row.split("|") for row in content.decode(ENCODING).splitlines()]


def balanced():
    days = reconcile.day_checks()
    checks = reconcile.payout_batch_checks()
    return all(day.balanced for day in days) and all(check.balanced for check in checks)


def test_c4_an_approved_claim_is_paid_through_the_bank_and_the_member_told_once(
    tree, reviewers, django_capture_on_commit_callbacks
):
    claim = approved_claim(tree, reviewers)
    OutboxSender.outbox.clear()
    batch = payouts.create_payout_batch(actor=None)
    assert batch is not None and batch.item_count == 1 and batch.total == claim.amount
    request = lines(payouts.request_content(batch))
    item = PayoutItem.objects.get(batch=batch)
    assert request[0] == ["H", batch.number, "1", money(claim.amount)]
    _d, seq, item_id, card, name, id_no, amount = request[1]
    assert (seq, item_id, name, amount) == ("1", str(item.pk), "赵六", money(claim.amount))
    assert card.isdigit() and len(card) >= 16 and len(id_no) == 18
    # A second build while the payout waits for the bank takes nothing.
    assert payouts.create_payout_batch(actor=None) is None
    with django_capture_on_commit_callbacks(execute=True):
        applied = payouts.apply_payout_result(content=answer(batch), actor=None)
    assert (applied.paid, applied.failed, applied.already) == (1, 0, False)
    claim.refresh_from_db()
    assert claim.state == S.PAID and claim.paid_at is not None
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert event.to_state == S.PAID
    assert f"补助 {money(claim.amount)} 元已支付到您的工会卡" in event.message
    texts = [text for _phone, text in OutboxSender.outbox]
    assert len(texts) == 1 and "已支付到您的工会卡" in texts[0]
    entry = LedgerEntry.objects.get(kind=EntryKind.PAYOUT)
    assert entry.amount == -claim.amount and entry.payout_batch == batch and entry.count == 1
    assert balanced()
    assert AuditEvent.objects.filter(action=Action.PAYOUT_RESULT).count() == 1


def test_d5_c4_the_same_result_applied_twice_changes_nothing(
    tree, reviewers, django_capture_on_commit_callbacks
):
    approved_claim(tree, reviewers)
    batch = payouts.create_payout_batch(actor=None)
    content = answer(batch)
    with django_capture_on_commit_callbacks(execute=True):
        payouts.apply_payout_result(content=content, actor=None)
    OutboxSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = payouts.apply_payout_result(content=content, actor=None)
    assert again.already and again.batch == batch
    assert PayoutFile.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYOUT).count() == 1
    assert ClaimEvent.objects.filter(to_state=S.PAID).count() == 1
    assert not OutboxSender.outbox


@pytest.mark.parametrize("tamper", ["count", "total", "unknown_item", "wrong_batch", "amount"])
def test_d5_c4_a_tampered_result_is_refused_whole_and_recorded_once(tree, reviewers, tamper):
    first = approved_claim(tree, reviewers, "赵甲")
    approved_claim(tree, reviewers, "赵乙")
    batch = payouts.create_payout_batch(actor=None)
    rows = lines(answer(batch))
    head, body = rows[0], rows[1:]
    if tamper == "count":
        head[2] = "3"
    elif tamper == "total":
        head[3] = money(Decimal(head[3]) + 1)
    elif tamper == "unknown_item":
        body[1][2] = "999999"
    elif tamper == "wrong_batch":
        head[1] = "P20990101NOSUCHBATCH"
    else:
        body[0][4] = money(Decimal(body[0][4]) - 1)
        body[1][4] = money(Decimal(body[1][4]) + 1)
    content = ("\n".join("|".join(row) for row in [head, *body]) + "\n").encode(ENCODING)
    for _attempt in range(2):
        with pytest.raises(PaymentFileError) as refused:
            payouts.apply_payout_result(content=content, actor=None)
        assert refused.value.errors
    assert RefusedPayoutFile.objects.count() == 1
    first.refresh_from_db()
    assert first.state == S.APPROVED
    assert not PayoutFile.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert PayoutItem.objects.filter(outcome=PayoutOutcome.PENDING).count() == 2


def test_d5_every_problem_of_a_refused_result_is_listed(tree, reviewers):
    approved_claim(tree, reviewers, "赵甲")
    approved_claim(tree, reviewers, "赵乙")
    batch = payouts.create_payout_batch(actor=None)
    rows = lines(answer(batch))
    rows.append(["D", "3", "999998", rows[1][3], "10.00", "0000", "入账成功"])
    rows[2][4] = money(Decimal(rows[2][4]) + 1)
    rows[0][2] = "3"
    rows[0][3] = money(sum(Decimal(row[4]) for row in rows[1:]))
    content = ("\n".join("|".join(row) for row in rows) + "\n").encode(ENCODING)
    with pytest.raises(PaymentFileError) as refused:
        payouts.apply_payout_result(content=content, actor=None)
    errors = refused.value.errors
    assert len(errors) == 4, errors  # count, total, the unknown item, the amount
    assert RefusedPayoutFile.objects.get().errors == errors


def test_c4_d6_a_failed_payout_is_retried_then_listed_for_follow_up(
    tree, reviewers, django_capture_on_commit_callbacks
):
    claim = approved_claim(tree, reviewers)
    limit = payouts.current_policies()[2022].max_attempts
    for attempt in range(1, limit + 1):
        batch = payouts.create_payout_batch(actor=None)
        assert batch is not None, attempt
        item = PayoutItem.objects.get(batch=batch)
        assert item.attempt == attempt
        applied = payouts.apply_payout_result(
            content=answer(batch, {claim: "name_mismatch"}), actor=None
        )
        assert (applied.paid, applied.failed) == (0, 1)
        item.refresh_from_db()
        assert item.outcome == PayoutOutcome.FAILED and item.bank_message == "户名不符"
        claim.refresh_from_db()
        assert claim.state == S.APPROVED
    assert payouts.create_payout_batch(actor=None) is None
    listed = list(payouts.follow_up())
    assert [c.pk for c in listed] == [claim.pk]
    assert listed[0].attempts == limit and listed[0].last_message == "户名不符"
    assert not LedgerEntry.objects.exists()
    assert balanced()


def test_c4_finance_puts_a_followed_up_claim_back_and_the_limit_counts_afresh(tree, reviewers):
    claim = approved_claim(tree, reviewers)
    limit = payouts.current_policies()[2022].max_attempts
    for _attempt in range(limit):
        batch = payouts.create_payout_batch(actor=None)
        payouts.apply_payout_result(content=answer(batch, {claim: "name_mismatch"}), actor=None)
    assert [c.pk for c in payouts.follow_up()] == [claim.pk]
    with pytest.raises(payouts.ClaimError) as refused:
        payouts.release(claim_id=claim.pk, actor=reviewers.district, reason=" ")
    assert refused.value.field == "reason"
    payouts.release(claim_id=claim.pk, actor=reviewers.district, reason="已与职工核对户名")
    assert not payouts.follow_up().exists()
    event = claim.events.order_by("-pk").first()
    assert "已与职工核对户名" in event.reason and event.actor == reviewers.district
    # Released again at once: it is no longer waiting for a person.
    with pytest.raises(payouts.ClaimError):
        payouts.release(claim_id=claim.pk, actor=reviewers.district, reason="再次")
    # The limit counts again from the release: as many new tries as the policy allows.
    for attempt in range(1, limit + 1):
        batch = payouts.create_payout_batch(actor=None)
        assert batch is not None, attempt
        assert PayoutItem.objects.get(batch=batch).attempt == limit + attempt
        payouts.apply_payout_result(content=answer(batch, {claim: "name_mismatch"}), actor=None)
    assert payouts.create_payout_batch(actor=None) is None
    assert [c.pk for c in payouts.follow_up()] == [claim.pk]


def test_c4_a_claim_whose_member_has_no_card_is_not_put_back(tree, reviewers):
    claim = approved_claim(tree, reviewers)
    Member.objects.filter(pk=claim.member_id).update(
        union_card_encrypted="", union_card_hash=None, union_card_masked=""
    )
    assert [c.pk for c in payouts.follow_up()] == [claim.pk]
    with pytest.raises(payouts.ClaimError) as refused:
        payouts.release(claim_id=claim.pk, actor=reviewers.district, reason="已核对")
    assert refused.value.code == "no_card"


def test_c4_a_failed_payout_goes_into_the_next_batch_and_is_paid(
    tree, reviewers, django_capture_on_commit_callbacks
):
    claim = approved_claim(tree, reviewers)
    batch = payouts.create_payout_batch(actor=None)
    OutboxSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payouts.apply_payout_result(content=answer(batch, {claim: "account_abnormal"}), actor=None)
    # SPEC C5: the member is told the payout failed, why, and what happens next.
    [(_phone, text)] = OutboxSender.outbox
    assert f"#{claim.pk}" in text and "未成功" in text and "下次支付" in text
    again = payouts.create_payout_batch(actor=None)
    assert again is not None and again != batch
    with django_capture_on_commit_callbacks(execute=True):
        payouts.apply_payout_result(content=answer(again), actor=None)
    claim.refresh_from_db()
    assert claim.state == S.PAID
    assert PayoutItem.objects.get(batch=again).attempt == 2
    assert balanced()


def _recovery(claim, amount):
    return RecoveryCase.objects.create(
        claim=claim,
        member=claim.member,
        year=claim.year,
        amount=Decimal(amount),
        reason="住院期间挂床，已支付部分应追回",
        method="offset",
        unit_path=claim.unit_path,
        opened_at=timezone.now(),
    )


def test_b_x3_an_open_recovery_is_offset_against_the_next_payout(
    tree, reviewers, django_capture_on_commit_callbacks
):
    claim = approved_claim(tree, reviewers)
    case = _recovery(claim, "100.00")
    batch = payouts.create_payout_batch(actor=None)
    item = PayoutItem.objects.get(batch=batch)
    assert item.offset == Decimal("100.00") and item.recovery == case
    assert item.amount == claim.amount - Decimal("100.00") == batch.total
    with django_capture_on_commit_callbacks(execute=True):
        payouts.apply_payout_result(content=answer(batch), actor=None)
    case.refresh_from_db()
    assert case.recovered == Decimal("100.00") and case.state == "recovered"
    payment = RecoveryPayment.objects.get()
    assert payment.payout_item == item and payment.amount == Decimal("100.00")
    recovery = LedgerEntry.objects.get(kind=EntryKind.RECOVERY)
    assert recovery.amount == Decimal("100.00") and recovery.recovery_payment == payment
    payout = LedgerEntry.objects.get(kind=EntryKind.PAYOUT)
    assert payout.amount == -claim.amount
    assert reconcile.balance() == -item.amount
    assert balanced()
    assert "100.00 元" in ClaimEvent.objects.filter(claim=claim).last().message


def test_b_x3_an_offset_of_the_whole_payout_is_settled_without_the_bank(
    tree, reviewers, django_capture_on_commit_callbacks
):
    claim = approved_claim(tree, reviewers)
    case = _recovery(claim, "999999.00")
    with django_capture_on_commit_callbacks(execute=True):
        batch = payouts.create_payout_batch(actor=None)
    assert batch.request_file is None and batch.item_count == 0 and batch.state == "settled"
    claim.refresh_from_db()
    assert claim.state == S.PAID
    case.refresh_from_db()
    assert case.recovered == claim.amount and case.state == "open"
    assert LedgerEntry.objects.get(kind=EntryKind.RECOVERY).amount == claim.amount
    assert LedgerEntry.objects.get(kind=EntryKind.PAYOUT).amount == -claim.amount
    assert reconcile.balance() == 0
    assert balanced()


def test_b_x3_a_failed_offset_recovers_nothing_and_is_offered_again(tree, reviewers):
    claim = approved_claim(tree, reviewers)
    case = _recovery(claim, "50.00")
    batch = payouts.create_payout_batch(actor=None)
    payouts.apply_payout_result(content=answer(batch, {claim: "no_such_card"}), actor=None)
    case.refresh_from_db()
    assert case.recovered == 0 and not RecoveryPayment.objects.exists()
    assert balanced()


def test_c4_the_command_line_builds_and_applies(tree, reviewers, tmp_path):
    claim = approved_claim(tree, reviewers)
    out = tmp_path / "payout.txt"
    stdout = io.StringIO()
    call_command("payout", "create", "--out", str(out), stdout=stdout)
    assert out.exists()
    result = tmp_path / "result.txt"
    result.write_bytes(answer_payout_file(out.read_bytes()))
    call_command("payout", "apply", str(result), stdout=stdout)
    claim.refresh_from_db()
    assert claim.state == S.PAID
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"H|NOPE|1|1.00\nD|1|1|6231|1.00|0000|ok\n")
    with pytest.raises(CommandError) as refused:
        call_command("payout", "apply", str(bad), stdout=stdout)
    assert refused.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_c4_two_payout_batches_built_at_once_take_each_claim_once(tree, reviewers):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    claims = [approved_claim(tree, reviewers, "并" + ascii_letters[n]) for n in range(12)]
    outcomes = at_once(
        lambda: payouts.create_payout_batch(actor=None),
        lambda: payouts.create_payout_batch(actor=None),
        expected=(),
    )
    assert outcomes == ["ok", "ok"]
    taken = list(PayoutItem.objects.values_list("claim", flat=True))
    assert sorted(taken) == sorted(c.pk for c in claims)


def test_d9_a_correction_of_a_payout_entry_is_kept_apart_and_named_in_the_check(tree, reviewers):
    claim = approved_claim(tree, reviewers)
    batch = payouts.create_payout_batch(actor=None)
    payouts.apply_payout_result(content=answer(batch), actor=None)
    entry = LedgerEntry.objects.get(kind=EntryKind.PAYOUT)
    correction = correct(
        entry_id=entry.pk, amount=Decimal("-1.00"), reason="银行手续费", actor=None
    )
    assert correction.payout_batch == batch and correction.kind == EntryKind.PAYOUT
    (check,) = reconcile.payout_batch_checks()
    assert check.booked == -claim.amount and check.corrections == Decimal("-1.00")
    assert check.balanced
    assert reconcile.balance() == -claim.amount - 1


def test_d9_a_payout_booked_without_a_payout_behind_it_does_not_balance(tree, reviewers):
    approved_claim(tree, reviewers)
    batch = payouts.create_payout_batch(actor=None)
    payouts.apply_payout_result(content=answer(batch), actor=None)
    LedgerEntry.objects.create(
        booked_on=LedgerEntry.objects.get().booked_on,
        recorded_at=timezone.now(),
        kind=EntryKind.PAYOUT,
        amount=Decimal("-5.00"),
        year=2022,
        reference="stray",
    )
    assert not balanced()
    assert any(EntryKind.PAYOUT in day.differences for day in reconcile.day_checks())


def test_c4_the_simulated_bank_answers_a_payout_file_from_its_command(tree, reviewers, tmp_path):
    first = approved_claim(tree, reviewers, "赵甲")
    approved_claim(tree, reviewers, "赵乙")
    batch = payouts.create_payout_batch(actor=None)
    failing = PayoutItem.objects.get(claim=first)
    source, target = tmp_path / "request.txt", tmp_path / "result.txt"
    source.write_bytes(payouts.request_content(batch))
    out = io.StringIO()
    call_command(
        "bank",
        "simulate-payout",
        str(source),
        "--out",
        str(target),
        "--fail",
        f"{failing.pk}=no_such_card",
        stdout=out,
    )
    rows = lines(target.read_bytes())
    assert rows[0][:2] == ["H", batch.number]
    codes = {int(row[2]): (row[5], row[6]) for row in rows[1:]}
    assert codes[failing.pk] == ("1004", "卡号不存在")
    assert sorted(codes.values())[0] == ("0000", "入账成功")
    applied = payouts.apply_payout_result(content=target.read_bytes(), actor=None)
    assert (applied.paid, applied.failed) == (1, 1)


def test_c4_applying_a_result_takes_as_many_queries_for_many_payouts_as_for_few(tree, reviewers):
    def queries_to_apply(n: int, prefix: str) -> int:
        for index in range(n):
            claim = approved_claim(tree, reviewers, prefix + ascii_letters[index])
            _recovery(claim, "10.00")
        batch = payouts.create_payout_batch(actor=None)
        content = answer(batch)
        with CaptureQueriesContext(connection) as applied:
            payouts.apply_payout_result(content=content, actor=None)
        return len(applied.captured_queries)

    assert queries_to_apply(2, "少") == queries_to_apply(6, "多")


def test_d9_the_ledger_command_reconciles_payout_batches(tree, reviewers):
    claim = approved_claim(tree, reviewers)
    batch = payouts.create_payout_batch(actor=None)
    payouts.apply_payout_result(content=answer(batch), actor=None)
    out = io.StringIO()
    call_command("ledger", "reconcile", "--json", stdout=out)
    answer_json = json.loads(out.getvalue())
    assert answer_json["balanced"] is True
    (row,) = answer_json["payout_batches"]
    assert row["batch"] == batch.number and row["paid"] == money(claim.amount)
    assert row["booked"] == money(-claim.amount) and row["balanced"] is True
