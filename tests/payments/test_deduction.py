"""Collective deduction: batch content, bank files, results (SPEC D1, D3–D6, §14)."""

from decimal import Decimal
from string import ascii_letters

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Enrollment, State
from huzhu.members import crypto
from huzhu.payments.bankfile import ENCODING, PaymentFileError, parse_result
from huzhu.payments.models import (
    BankFileRecord,
    BatchState,
    DeductionBatch,
    DeductionItem,
    Outcome,
)
from huzhu.payments.services import apply_result, create_batch
from huzhu.rosters.models import Review
from tests.payments.helpers import request_lines, result_file, signed
from tests.rosters.review_helpers import make_roster

pytestmark = pytest.mark.django_db


def state(enrollment) -> str:
    enrollment.refresh_from_db()
    return enrollment.state


def test_d3_d4_batch_takes_authorized_and_failed_not_paid_nor_revoked(tree, people):
    authorized = signed(tree.hutang_union, "张甲")
    failed = signed(tree.hutang_union, "李乙")
    enrollment_services.mark_failed(enrollment=failed, actor=None)
    paid = signed(tree.hutang_union, "王丙")
    enrollment_services.mark_paid(enrollment=paid, actor=None)
    revoked = signed(tree.niutang_union, "赵丁")
    Enrollment.objects.filter(pk=revoked.pk).update(state=State.REVOKED)
    other_year = signed(tree.hutang_union, "钱戊", year=2021)

    batch = create_batch(year=2022, actor=None)

    assert batch is not None
    taken = set(batch.items.values_list("enrollment", flat=True))
    assert taken == {authorized.pk, failed.pk}
    assert other_year.pk not in taken
    assert batch.item_count == 2
    assert batch.total == Decimal("60.00")
    assert isinstance(batch.total, Decimal)
    rows = request_lines(batch)
    assert rows[0] == ["H", batch.number, "2", "60.00"]
    names = {row[4] for row in rows[1:]}
    assert names == {"张甲", "李乙"}
    # The full card and ID numbers, decrypted for the bank only.
    line = next(row for row in rows[1:] if row[4] == "张甲")
    assert line[3] == crypto.decrypt(authorized.member.union_card_encrypted)
    assert line[5] == crypto.decrypt(authorized.member.id_number_encrypted)
    assert line[6] == "30.00"
    assert BankFileRecord.objects.filter(batch=batch, kind="request").count() == 1
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_BATCH).count() == 1


def test_e6_d3_only_approved_roster_authorizations_are_deducted(tree, people):
    waiting = signed(tree.hutang_union, "待审")
    approved = signed(tree.hutang_union, "已批")
    make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk, members=[waiting.member])
    make_roster(
        unit=tree.hutang_union,
        uploader=people.hutang_clerk,
        members=[approved.member],
        review=Review.APPROVED,
    )
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    assert list(batch.items.values_list("enrollment", flat=True)) == [approved.pk]


def test_d3_nothing_to_deduct_is_none_and_an_unsettled_batch_is_not_taken_again(tree):
    assert create_batch(year=2022, actor=None) is None
    signed(tree.hutang_union)
    assert create_batch(year=2022, actor=None) is not None
    assert create_batch(year=2022, actor=None) is None
    assert DeductionBatch.objects.count() == 1


def test_s14_the_database_refuses_a_second_live_item(tree):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    other = DeductionBatch.objects.create(number="X1", year=2022, created_at=batch.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeductionItem.objects.create(
            batch=other, enrollment=enrollment, seq=1, amount=Decimal("30.00"), attempt=1
        )
    # A failed item is not live: a new one may follow it.
    DeductionItem.objects.filter(batch=batch).update(outcome=Outcome.FAILED)
    DeductionItem.objects.create(
        batch=other, enrollment=enrollment, seq=1, amount=Decimal("30.00"), attempt=2
    )


def test_d3_create_batch_queries_are_bounded(tree):
    for n in range(3):
        signed(tree.hutang_union, "少" + ascii_letters[n])
    with CaptureQueriesContext(connection) as few:
        create_batch(year=2022, actor=None)
    for n in range(30):
        signed(tree.niutang_union, "多" + ascii_letters[n])
    with CaptureQueriesContext(connection) as many:
        create_batch(year=2022, actor=None)
    assert len(many) == len(few)


def test_d4_d5_result_marks_paid_and_failed_with_the_banks_reason(tree):
    good = signed(tree.hutang_union, "张甲")
    poor = signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    applied = apply_result(content=result_file(batch, {poor.pk: ("1001", "余额不足")}), actor=None)
    assert (applied.debited, applied.failed, applied.already) == (1, 1, False)
    assert state(good) == State.PAID
    assert state(poor) == State.FAILED
    item = DeductionItem.objects.get(enrollment=poor)
    assert (item.outcome, item.bank_code, item.bank_message) == ("failed", "1001", "余额不足")
    assert DeductionItem.objects.get(enrollment=good).outcome == Outcome.DEBITED
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_RESULT).count() == 1


def test_d5_the_same_result_twice_changes_nothing(tree):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    content = result_file(batch)
    apply_result(content=content, actor=None)
    changes = enrollment.changes.count()
    again = apply_result(content=content, actor=None)
    assert again.already
    assert enrollment.changes.count() == changes
    assert BankFileRecord.objects.filter(kind="result").count() == 1
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_RESULT).count() == 1


@pytest.mark.parametrize(
    "tamper, reason",
    [
        ({"drop": 1}, "2"),  # a line missing: the count differs from the batch's
        ({"header": "H|{number}|2|31.00"}, "合计"),
        ({"extra": ["D|3|999999|6231|30.00|0000|成功"]}, "999999"),
        ({"header": "H|NOSUCH|2|60.00"}, "NOSUCH"),
    ],
    ids=["wrong count", "wrong total", "unknown item", "wrong batch"],
)
def test_d5_a_tampered_result_is_refused_whole(tree, tamper, reason):
    first = signed(tree.hutang_union, "张甲")
    second = signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    if "header" in tamper:
        tamper = {"header": tamper["header"].format(number=batch.number)}
    if "extra" in tamper:
        tamper = {**tamper, "header": None}
    content = result_file(batch, **tamper)
    if "extra" in tamper:
        # The header agrees with the lines; the batch does not know the item.
        rows = content.decode(ENCODING).splitlines()
        rows[0] = f"H|{batch.number}|2|60.00"
        rows.pop(1)
        content = ("\n".join(rows) + "\n").encode(ENCODING)
    with pytest.raises(PaymentFileError) as refused:
        apply_result(content=content, actor=None)
    assert reason in refused.value.message
    assert state(first) == State.AUTHORIZED and state(second) == State.AUTHORIZED
    assert not DeductionItem.objects.exclude(outcome=Outcome.PENDING).exists()
    assert not BankFileRecord.objects.filter(kind="result").exists()


def test_d4_a_line_off_the_format_is_refused_naming_it():
    content = "H|B1|1|30.00\nD|1|2|6231|30|0000|成功\n".encode(ENCODING)
    with pytest.raises(PaymentFileError) as refused:
        parse_result(content)
    assert "第2行" in refused.value.message
    with pytest.raises(PaymentFileError):
        parse_result(b"\xff\xff")


def test_d6_a_failed_item_goes_into_the_next_batch_until_the_attempt_limit(tree):
    enrollment = signed(tree.hutang_union)
    for attempt in (1, 2, 3):  # 2022: max_attempts = 3
        batch = create_batch(year=2022, actor=None)
        assert batch is not None
        assert batch.items.get().attempt == attempt
        apply_result(content=result_file(batch, {enrollment.pk: ("1001", "余额不足")}), actor=None)
        assert state(enrollment) == State.FAILED
    assert create_batch(year=2022, actor=None) is None


def test_d4_d5_commands(tree, tmp_path, capsys):
    out = tmp_path / "request.txt"
    call_command("deduction", "create", "--year", "2022", "--out", str(out))
    assert not out.exists()
    assert "没有" in capsys.readouterr().out
    enrollment = signed(tree.hutang_union)
    call_command("deduction", "create", "--year", "2022", "--out", str(out))
    assert out.read_bytes().decode(ENCODING).startswith("H|")
    batch = DeductionBatch.objects.get()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(result_file(batch, header=f"H|{batch.number}|1|99.00"))
    with pytest.raises(CommandError) as refused:
        call_command("deduction", "apply", str(bad))
    assert refused.value.returncode == 2
    good = tmp_path / "good.txt"
    good.write_bytes(result_file(batch))
    call_command("deduction", "apply", str(good))
    assert state(enrollment) == State.PAID


def test_s14_d6_a_code_the_policy_does_not_retry_goes_to_follow_up(tree, monkeypatch):
    from dataclasses import replace

    from huzhu.payments import services
    from huzhu.policy.selectors import current_policies

    policies = current_policies()
    policies[2022] = replace(policies[2022], retry_codes=("1001",))
    monkeypatch.setattr(services, "current_policies", lambda: policies)
    poor = signed(tree.hutang_union, "张甲")
    closed = signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    failures = {poor.pk: ("1001", "余额不足"), closed.pk: ("2002", "账户状态异常")}
    apply_result(content=result_file(batch, failures), actor=None)
    again = create_batch(year=2022, actor=None)
    assert again is not None
    assert list(again.items.values_list("enrollment", flat=True)) == [poor.pk]


def test_s14_retry_codes_are_policy_data_checked_when_read():
    from huzhu.policy.document import (
        PolicyError,
        parse_policy,
        read_policy_file,
        shipped_policy_files,
    )

    path = next(p for p in shipped_policy_files() if p.name == "2022.toml")
    data, _sha = read_policy_file(path)
    assert parse_policy(data, "2022.toml").retry_codes is None  # every code retried
    data["payment"]["retry_codes"] = ["1001"]
    assert parse_policy(data, "2022.toml").retry_codes == ("1001",)
    data["payment"]["retry_codes"] = [1001]
    with pytest.raises(PolicyError) as refused:
        parse_policy(data, "2022.toml")
    assert "payment.retry_codes" in str(refused.value)
