"""The fund ledger (SPEC D9): entries posted by the money's own services, never edited,
corrected by new entries, and reconciled per batch and per day against the bank's records."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.bank import simulated_bank
from huzhu.dates import scheme_today
from huzhu.ledger import reconcile
from huzhu.ledger.models import EntryKind, LedgerEntry, LedgerEntryEdited
from huzhu.ledger.services import LedgerError, correct, parse_amount
from huzhu.members import crypto
from huzhu.payments.models import Refund, SelfPayment
from huzhu.payments.services import apply_result, create_batch, mark_refund_made
from huzhu.policy.selectors import current_policies
from tests.conftest import make_user
from tests.payments.helpers import result_file, signed

SECRET = "test-bank-secret"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.HUZHU_BANK_SECRET = SECRET


@pytest.fixture
def finance(tree):
    return make_user("cashier", Role.FINANCE, tree.district, True)


def fee() -> Decimal:
    return current_policies()[2022].fee


def pay_online(enrollment, transaction_id, occurred_at="2021-12-01T10:00:00+08:00"):
    notice = simulated_bank.payment_notice(
        year=2022,
        occurred_at=occurred_at,
        id_number=crypto.decrypt(enrollment.member.id_number_encrypted),
        amount=fee(),
        transaction_id=transaction_id,
    )
    status, answer = simulated_bank.send(notice, SECRET, client=Client())
    assert status == 200, answer
    return answer


def ledger_sum(**filters) -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(**filters)), Decimal("0"))


def settled_batch(tree, *, failing=()):
    enrollments = [signed(tree.hutang_union, name) for name in ("赵一", "钱二", "孙三")]
    batch = create_batch(year=2022, actor=None)
    failures = {enrollments[i].pk: ("1001", "余额不足") for i in failing}
    apply_result(content=result_file(batch, failures), actor=None)
    return batch, enrollments


def test_d9_a_settled_batch_books_its_debits_as_one_fee_income_entry(tree):
    batch, _ = settled_batch(tree, failing=[2])
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.count, entry.year) == (
        EntryKind.FEE_INCOME,
        2 * fee(),
        2,
        2022,
    )
    assert (entry.deduction_batch, entry.reference, entry.booked_on) == (
        batch,
        batch.number,
        scheme_today(),
    )


def test_d5_d9_the_same_result_file_twice_books_once(tree):
    batch, _ = settled_batch(tree)
    apply_result(content=result_file(batch), actor=None)
    assert LedgerEntry.objects.count() == 1
    assert ledger_sum() == 3 * fee()


def test_d9_a_batch_the_bank_debited_nothing_of_books_nothing(tree):
    settled_batch(tree, failing=[0, 1, 2])
    assert not LedgerEntry.objects.exists()
    (check,) = reconcile.batch_checks()
    assert check.balanced and check.failed == 3 * fee()


def test_d2_d9_a_self_payment_is_booked_on_the_day_it_was_paid(tree):
    enrollment = signed(tree.hutang_union)
    pay_online(enrollment, "T-1", occurred_at="2021-12-01T23:30:00+08:00")
    entry = LedgerEntry.objects.get()
    payment = SelfPayment.objects.get()
    assert (entry.kind, entry.amount, entry.self_payment, entry.reference) == (
        EntryKind.FEE_INCOME,
        fee(),
        payment,
        "T-1",
    )
    # The Shanghai date of the payment (UTC says 12-01 15:30; 23:30 in Shanghai).
    assert entry.booked_on == datetime.date(2021, 12, 1)


def test_d7_d9_a_double_payment_books_both_incomes_and_the_refund_when_made(tree, finance):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    pay_online(enrollment, "T-2")
    apply_result(content=result_file(batch), actor=None)
    refund = Refund.objects.get()
    assert ledger_sum(kind=EntryKind.FEE_INCOME) == 2 * fee()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REFUND).exists()

    mark_refund_made(refund_id=refund.pk, actor=finance)

    out = LedgerEntry.objects.get(kind=EntryKind.REFUND)
    assert (out.amount, out.refund, out.recorded_by) == (-fee(), refund, finance)
    assert reconcile.balance() == fee()
    assert all(day.balanced for day in reconcile.day_checks())
    assert all(check.balanced for check in reconcile.batch_checks())


def test_d9_an_entry_is_never_edited_nor_deleted_through_the_models(tree):
    settled_batch(tree)
    entry = LedgerEntry.objects.get()
    entry.amount = Decimal("1.00")
    with pytest.raises(LedgerEntryEdited):
        entry.save()
    with pytest.raises(LedgerEntryEdited):
        entry.delete()
    with pytest.raises(LedgerEntryEdited):
        LedgerEntry.objects.update(amount=Decimal("1.00"))
    with pytest.raises(LedgerEntryEdited):
        LedgerEntry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.amount == 3 * fee()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_ledgerentry SET amount = 1",
        "DELETE FROM ledger_ledgerentry",
        "INSERT OR REPLACE INTO ledger_ledgerentry SELECT * FROM ledger_ledgerentry",
        "TRUNCATE ledger_ledgerentry",
    ],
)
def test_d9_the_database_refuses_to_edit_an_entry(tree, sql):
    settled_batch(tree)
    if "OR REPLACE" in sql and connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    if sql.startswith("TRUNCATE") and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert LedgerEntry.objects.get().amount == 3 * fee()


def test_d9_a_correction_is_a_new_audited_entry_and_the_original_stays(tree, finance):
    batch, _ = settled_batch(tree)
    original = LedgerEntry.objects.get()
    fixed = correct(
        entry_id=original.pk,
        amount=Decimal("-30.00"),
        reason="银行对账单显示一笔退回",
        actor=finance,
    )
    original.refresh_from_db()
    assert original.amount == 3 * fee()
    assert (fixed.corrects, fixed.kind, fixed.amount, fixed.deduction_batch) == (
        original,
        EntryKind.FEE_INCOME,
        Decimal("-30.00"),
        batch,
    )
    assert reconcile.balance() == 3 * fee() - Decimal("30.00")
    (check,) = reconcile.batch_checks()
    assert check.corrections == Decimal("-30.00")
    event = AuditEvent.objects.get(action=Action.LEDGER_CORRECTION)
    assert event.actor_user == finance and "银行对账单" in event.summary


@pytest.mark.parametrize("text", ["abc", "1e400", "NaN", "Infinity", "0", "0.001", "1e13", ""])
def test_d9_a_correction_amount_must_be_yuan_with_two_places(text):
    with pytest.raises(LedgerError):
        parse_amount(text)


def test_d9_a_correction_needs_a_reason_and_an_original_entry(tree, finance):
    settled_batch(tree)
    original = LedgerEntry.objects.get()
    with pytest.raises(LedgerError, match="原因"):
        correct(entry_id=original.pk, amount=Decimal("1"), reason="  ", actor=finance)
    with pytest.raises(LedgerError):
        correct(entry_id=999999, amount=Decimal("1"), reason="x", actor=finance)
    fixed = correct(entry_id=original.pk, amount=Decimal("1"), reason="x", actor=finance)
    with pytest.raises(LedgerError):
        correct(entry_id=fixed.pk, amount=Decimal("1"), reason="x", actor=finance)


def test_d9_reconciliation_finds_money_moved_but_not_booked(tree):
    settled_batch(tree)
    enrollment = signed(tree.hutang_union, "周五")
    # A payment recorded without its booking (as a faulty import would leave it).
    SelfPayment.objects.create(
        enrollment=enrollment,
        transaction_id="LOST",
        amount=fee(),
        paid_at=datetime.datetime(2021, 12, 2, 9, tzinfo=datetime.UTC),
    )
    (day,) = [d for d in reconcile.day_checks() if d.day == datetime.date(2021, 12, 2)]
    assert not day.balanced
    assert day.differences == {EntryKind.FEE_INCOME: -fee()}


def test_d9_the_reconcile_command_exits_0_when_balanced_and_1_when_not(tree):
    settled_batch(tree, failing=[1])
    out = io.StringIO()
    call_command("ledger", "reconcile", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["balanced"] is True
    assert figures["fund_balance"] == f"{2 * fee():.2f}"
    (row,) = figures["batches"]
    assert (row["debited"], row["failed"], row["booked"]) == (
        f"{2 * fee():.2f}",
        f"{fee():.2f}",
        f"{2 * fee():.2f}",
    )
    SelfPayment.objects.create(
        enrollment=signed(tree.hutang_union, "吴六"),
        transaction_id="LOST",
        amount=fee(),
        paid_at=datetime.datetime(2021, 12, 2, 9, tzinfo=datetime.UTC),
    )
    with pytest.raises(CommandError) as caught:
        call_command("ledger", "reconcile", stdout=io.StringIO())
    assert caught.value.returncode == 1


def test_d9_the_days_command_prints_daily_totals(tree):
    settled_batch(tree)
    out = io.StringIO()
    call_command("ledger", "days", "--json", stdout=out)
    (day,) = json.loads(out.getvalue())
    assert day["day"] == scheme_today().isoformat()
    assert day["booked"]["fee_income"] == f"{3 * fee():.2f}"
    assert day["balanced"] is True


@pytest.mark.parametrize(
    "args",
    [
        ["days", "--from", "2022-13-01"],
        ["reconcile", "--year", "abc"],
        ["correct", "1", "--amount", "1e400", "--reason", "x"],
        ["correct", "1", "--amount", "1", "--reason", " "],
    ],
)
def test_d9_bad_command_input_exits_2(tree, args):
    with pytest.raises(CommandError) as caught:
        call_command("ledger", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2


def test_d9_the_app_role_of_the_deploy_guide_reads_and_appends_the_ledger_only(tree):
    from tests.audit.test_database_roles import (
        READ_AND_APPEND,
        deploy_guide_role,
        table_privileges,
    )

    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    with connection.cursor() as cursor:
        app = deploy_guide_role(cursor)
        assert table_privileges(cursor, app, "ledger_ledgerentry") == READ_AND_APPEND


def test_d9_s14_reconciliation_reads_the_banks_stored_file_again(tree, settings, tmp_path):
    from huzhu.files.services import path_of

    settings.HUZHU_FILES_DIR = tmp_path / "files"  # this test alters a kept file
    from huzhu.payments.models import BankFileRecord

    batch, _ = settled_batch(tree, failing=[1])
    (check,) = reconcile.batch_checks(read_files=True)
    assert check.bank is not None and not check.bank.problem
    assert (check.bank.debited_count, check.bank.debited) == (2, 2 * fee())
    assert check.balanced

    # The kept file altered on disk: the hash no longer matches and the batch is flagged.
    record = BankFileRecord.objects.get(batch=batch, kind="result")
    stored = path_of(record.file.sha256)
    stored.chmod(0o600)
    stored.write_bytes(stored.read_bytes().replace(b"|1001|", b"|0000|"))
    (check,) = reconcile.batch_checks(read_files=True)
    assert "哈希" in check.bank.problem and not check.balanced
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ledger", "reconcile", "--files", "--json", stdout=out)
    assert caught.value.returncode == 1
    (row,) = json.loads(out.getvalue())["batches"]
    assert "哈希" in row["bank_file"]["problem"]


def test_d9_the_ledger_balances_after_all_of_it(tree, finance):
    """Failures and retries up to the limit, a self-payment crossing a batch, a debit after a
    revocation, a result applied twice, a tampered result refused, refunds made: every batch
    and every day balances, and the fund holds what came in less what was paid back."""
    from huzhu.enrollment import services as enrollment_services
    from huzhu.payments.bankfile import PaymentFileError
    from huzhu.payments.models import DeductionItem

    poor = signed(tree.hutang_union, "赵一")  # fails every time
    crossing = signed(tree.hutang_union, "钱二")  # also pays online while at the bank
    leaving = signed(tree.hutang_union, "孙三")  # revokes while at the bank
    fine = signed(tree.niutang_union, "李四")
    first = create_batch(year=2022, actor=None)
    pay_online(crossing, "T-CROSS")
    enrollment_services.revoke(
        member=leaving.member, year=2022, actor=None, source="console", reason="本人申请"
    )
    answer = result_file(first, {poor.pk: ("1001", "余额不足")})
    tampered = result_file(first, header=f"H|{first.number}|4|999.00")
    with pytest.raises(PaymentFileError):
        apply_result(content=tampered, actor=None)
    apply_result(content=answer, actor=None)
    apply_result(content=answer, actor=None)  # the same file again: nothing changes
    for _attempt in range(current_policies()[2022].max_attempts - 1):
        retry = create_batch(year=2022, actor=None)
        apply_result(content=result_file(retry, {poor.pk: ("1001", "余额不足")}), actor=None)
    assert create_batch(year=2022, actor=None) is None  # the retry limit is reached
    for refund in Refund.objects.all():
        mark_refund_made(refund_id=refund.pk, actor=finance)

    debited = DeductionItem.objects.filter(outcome="debited")
    taken = sum((item.amount for item in debited), Decimal("0")) + fee()  # + the self-payment
    paid_back = sum((r.amount for r in Refund.objects.all()), Decimal("0"))
    assert paid_back == 2 * fee()  # the crossing debit and the debit after revocation
    assert reconcile.balance() == taken - paid_back == 2 * fee()  # 钱二 and 李四, once each
    assert all(check.balanced for check in reconcile.batch_checks(read_files=True))
    assert all(day.balanced for day in reconcile.day_checks())
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 2
    assert fine.member.enrollments.get(year=2022).state == "paid"
