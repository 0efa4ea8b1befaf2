"""Result files at the edges (SPEC D5, D7, §14): every problem of a refused file listed and
recorded once, debits of enrollments revoked or lapsed meanwhile, the files kept, and the
stored texts in Chinese whatever language the caller runs under."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Enrollment, EnrollmentChange, State
from huzhu.files.services import open_stored
from huzhu.payments import bankfile
from huzhu.payments.bankfile import ENCODING, PaymentFileError
from huzhu.payments.models import (
    BankFileRecord,
    BatchState,
    DeductionItem,
    FileKind,
    Outcome,
    Refund,
    RefundSource,
    RefusedBankFile,
)
from huzhu.payments.services import apply_result, create_batch
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db


def state(enrollment) -> str:
    enrollment.refresh_from_db()
    return enrollment.state


def lines_of(content: bytes) -> list[str]:
    return content.decode(ENCODING).splitlines()


def rebuilt(head: str, lines: list[str]) -> bytes:
    """`lines` under a header that agrees with them (the file's own count and total)."""
    fen = sum(int(line.split("|")[4].replace(".", "")) for line in lines)
    number = head.split("|")[1]
    header = f"H|{number}|{len(lines)}|{fen // 100}.{fen % 100:02d}"
    return ("\n".join([header, *lines]) + "\n").encode(ENCODING)


def test_d5_s14_a_refused_file_lists_every_problem_and_is_recorded_once(tree, people):
    enrollments = [signed(tree.hutang_union, name) for name in ("张甲", "李乙", "王丙", "赵丁")]
    batch = create_batch(year=2022, actor=None)
    head, *lines = lines_of(result_file(batch))
    d, seq, item, card, amount, code, message = lines[1].split("|")
    lines[1] = f"D|{seq}|999999|{card}|{amount}|{code}|{message}"  # unknown item
    lines[2] = "|".join([d, "77", *lines[2].split("|")[2:]])  # numbered wrongly
    parts = lines[3].split("|")
    parts[4] = "31.00"  # a wrong amount
    lines[3] = "|".join(parts)
    lines.append(lines[0])  # an item twice
    content = rebuilt(head, lines)

    with pytest.raises(PaymentFileError) as refused:
        apply_result(content=content, actor=people.district_admin)

    errors = refused.value.errors
    assert any("条" in e or "笔" in e for e in errors)  # the count differs from the batch's
    assert any("合计" in e for e in errors)  # so does the total
    assert any("第3行" in e and "999999" in e for e in errors)
    assert any("第4行" in e and "77" in e for e in errors)
    assert any("第5行" in e and "31.00" in e for e in errors)
    assert any("第6行" in e and "重复" in e for e in errors)
    assert all(e in refused.value.message for e in errors)
    recorded = RefusedBankFile.objects.get()
    assert (recorded.batch, recorded.batch_number, recorded.errors) == (
        batch,
        batch.number,
        errors,
    )
    assert recorded.actor == people.district_admin
    assert all(state(e) == State.AUTHORIZED for e in enrollments)
    assert not DeductionItem.objects.exclude(outcome=Outcome.PENDING).exists()
    assert not BankFileRecord.objects.filter(kind=FileKind.RESULT).exists()

    with pytest.raises(PaymentFileError) as again:
        apply_result(content=content, actor=None)
    assert again.value.errors == errors
    assert RefusedBankFile.objects.count() == 1


def test_s14_the_error_list_stops_at_its_limit_and_counts_the_rest(tree, monkeypatch):
    monkeypatch.setattr(bankfile, "MAX_ERRORS", 2)
    for name in ("张甲", "李乙", "王丙"):
        signed(tree.hutang_union, name)
    batch = create_batch(year=2022, actor=None)
    head, *lines = lines_of(result_file(batch))
    lines = [
        "|".join(["D", *line.split("|")[1:2], "99999" + str(n), *line.split("|")[3:]])
        for n, line in enumerate(lines)
    ]
    with pytest.raises(PaymentFileError) as refused:
        apply_result(content=rebuilt(head, lines), actor=None)
    assert len(refused.value.errors) == 2
    assert refused.value.more == 1
    assert "另有1个问题" in refused.value.message
    assert RefusedBankFile.objects.get().more == 1


def test_d4_s14_every_line_off_the_format_is_listed():
    content = "H|B1|3|90.00\nD|1|2|6231|30|0000|成功\nD|x|3|6231|30.00|0000|成功\nD|3|4|6231\n"
    with pytest.raises(PaymentFileError) as refused:
        apply_result(content=content.encode(ENCODING), actor=None)
    errors = refused.value.errors
    assert [e[:6] for e in errors] == ["回盘文件第2", "回盘文件第3", "回盘文件第4"]
    assert RefusedBankFile.objects.get().batch_number == "B1"


def test_d5_the_command_prints_every_problem_and_exits_2(tree, tmp_path):
    signed(tree.hutang_union, "张甲")
    signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    head, *lines = lines_of(result_file(batch))
    lines = [line.replace(f"|{line.split('|')[2]}|", "|999990|", 1) for line in lines]
    lines[1] = lines[1].replace("|999990|", "|999991|", 1)
    path = tmp_path / "result.txt"
    path.write_bytes(rebuilt(head, lines))
    with pytest.raises(CommandError) as refused:
        call_command("deduction", "apply", str(path))
    assert refused.value.returncode == 2
    assert "999990" in str(refused.value) and "999991" in str(refused.value)


@pytest.mark.parametrize("final", [State.REVOKED, State.LAPSED])
def test_d7_e2_a_debit_after_revocation_or_lapse_is_kept_and_refunded(tree, final):
    gone = signed(tree.hutang_union, "张甲")
    stays = signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=None)
    if final == State.REVOKED:
        enrollment_services.revoke(
            member=gone.member, year=2022, actor=None, source="console", reason="本人申请"
        )
    else:
        enrollment_services.lapse(enrollment=gone, actor=None)
    changes = gone.changes.count()

    applied = apply_result(content=result_file(batch), actor=None)

    assert (applied.debited, applied.failed, applied.refunded) == (2, 0, 1)
    assert state(gone) == final
    assert gone.changes.count() == changes
    assert state(stays) == State.PAID
    item = DeductionItem.objects.get(enrollment=gone)
    assert item.outcome == Outcome.DEBITED
    refund = Refund.objects.get()
    assert (refund.enrollment, refund.deduction_item, refund.source) == (
        gone,
        item,
        RefundSource.DEDUCTION,
    )
    assert refund.amount == item.amount
    assert "应退还" in refund.reason and batch.number in refund.reason
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED


def test_d7_e2_a_failed_item_of_a_revoked_enrollment_changes_nothing_on_it(tree):
    gone = signed(tree.hutang_union, "张甲")
    batch = create_batch(year=2022, actor=None)
    enrollment_services.revoke(member=gone.member, year=2022, actor=None, source="console")
    changes = gone.changes.count()
    applied = apply_result(content=result_file(batch, {gone.pk: ("1001", "余额不足")}), actor=None)
    assert (applied.debited, applied.failed, applied.refunded) == (0, 1, 0)
    assert state(gone) == State.REVOKED
    assert gone.changes.count() == changes
    assert DeductionItem.objects.get().bank_message == "余额不足"
    assert not Refund.objects.exists()


def test_s14_the_result_and_request_files_are_kept_in_the_store(tree):
    signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=None)
    content = result_file(batch)
    apply_result(content=content, actor=None)
    result = BankFileRecord.objects.get(kind=FileKind.RESULT)
    with open_stored(result.file) as handle:
        assert handle.read() == content
    request = BankFileRecord.objects.get(kind=FileKind.REQUEST)
    assert request.file == batch.request_file


def test_d7_stored_texts_are_chinese_when_the_command_runs_without_a_language(tree, tmp_path):
    gone = signed(tree.hutang_union, "张甲")
    stays = signed(tree.hutang_union, "李乙")
    with translation.override(None):
        call_command("deduction", "create", "--year", "2022", "--out", str(tmp_path / "r.txt"))
    batch = DeductionItem.objects.get(enrollment=gone).batch
    enrollment_services.revoke(member=gone.member, year=2022, actor=None, source="console")
    path = tmp_path / "result.txt"
    path.write_bytes(result_file(batch))
    with translation.override(None):
        assert translation.get_language() is None
        call_command("deduction", "apply", str(path))
    assert Refund.objects.get().reason.startswith("撤销后")
    change = EnrollmentChange.objects.filter(enrollment=stays, to_state=State.PAID).get()
    assert change.reason.startswith("扣款批次")
    assert Enrollment.objects.get(pk=stays.pk).state == State.PAID


def test_s3_e2_a_result_writes_one_audit_event_for_the_batch_and_one_change_per_enrollment(
    tree, people
):
    """The collective deduction is one act, audited once with the file's hash (S3); each
    enrollment it moves keeps its own history row naming the batch (E2)."""
    from huzhu.audit.actions import Action
    from huzhu.audit.models import AuditEvent

    paid, failed = (signed(tree.hutang_union, name) for name in ("张甲", "李乙"))
    batch = create_batch(year=2022, actor=None)
    content = result_file(batch, failures={failed.pk: ("1001", "余额不足")})
    before = AuditEvent.objects.count()

    apply_result(content=content, actor=people.district_admin)

    events = AuditEvent.objects.order_by("pk")[before:]
    assert [event.action for event in events] == [Action.DEDUCTION_RESULT]
    event = events[0]
    assert event.actor_user == people.district_admin
    assert event.data["batch"] == batch.number
    assert (event.data["debited"], event.data["failed"]) == (1, 1)
    assert event.data["sha256"] == BankFileRecord.objects.get(kind=FileKind.RESULT).sha256
    for enrollment, new in ((paid, State.PAID), (failed, State.FAILED)):
        change = EnrollmentChange.objects.get(enrollment=enrollment, to_state=new)
        assert (change.from_state, change.actor) == (State.AUTHORIZED, people.district_admin)
        assert batch.number in change.reason
    assert EnrollmentChange.objects.filter(to_state__in=[State.PAID, State.FAILED]).count() == 2


def test_d5_s14_a_file_of_many_tiny_lines_is_refused_without_a_copy_per_line(monkeypatch):
    """SPEC D5, §14 (no input gives a 500, the machine's memory included): a file within the
    size limit can hold tens of millions of three-byte lines; it was split into one string
    per line (about 20 times the file's size in memory, and 18 µs of translation a line)
    before the first check. The problems are still counted, every line of them."""
    import tracemalloc

    monkeypatch.setattr(bankfile, "MAX_ERRORS", 5)
    lines = 300_000
    content = b"H|B1|1|30.00\n" + b"ab\n" * lines
    tracemalloc.start()
    try:
        with pytest.raises(PaymentFileError) as refused:
            bankfile.parse_result(content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(refused.value.errors) == 5
    assert refused.value.more == lines - 5 + 1  # and the count differs from the header's
    assert peak < 4 * len(content)
