"""The simulated bank's side of the deduction files (SPEC D4) and its self-payment notices
(SPEC §7a `payment`)."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from huzhu.bank import adapters, simulated_bank
from huzhu.bank.simulated_bank import (
    REASONS,
    MalformedDeductionFile,
    answer_deduction_file,
    payment_notice,
    read_deduction_request,
)

SECRET = "test-bank-secret"
CARDS = [f"62316600000000{n:05d}" for n in range(1, 6)]
NAMES = ["张三", "李四", "王五", "赵六", "钱七"]


def request_lines(count=5, batch="B2022-0001"):
    lines = [f"H|{batch}|{count}|{Decimal('30.00') * count}"]
    for n in range(count):
        lines.append(
            f"D|{n + 1}|E{1000 + n}|{CARDS[n % 5]}|{NAMES[n % 5]}|32040219800101{n:04d}|30.00"
        )
    return lines


def request(lines=None) -> bytes:
    return ("\r\n".join(lines or request_lines()) + "\r\n").encode("gbk")


def result(content: bytes) -> tuple[list[str], list[list[str]]]:
    lines = content.decode("gbk").splitlines()
    return lines[0].split("|"), [line.split("|") for line in lines[1:]]


def test_d4_round_trip_debits_all_but_the_failing_cards_in_gbk():
    failures = {CARDS[1]: "insufficient_funds", CARDS[3]: "卡号不存在"}
    answer = answer_deduction_file(request(), failures=failures)
    assert "余额不足".encode("gbk") in answer and "张三".encode("gbk") not in answer
    header, items = result(answer)
    # The header repeats the request: every item requested, debited or not.
    assert header == ["H", "B2022-0001", "5", "150.00"]
    assert [item[:5] for item in items] == [
        ["D", str(n + 1), f"E{1000 + n}", CARDS[n], "30.00"] for n in range(5)
    ]
    assert [(item[5], item[6]) for item in items] == [
        ("0000", "扣款成功"),
        ("1001", "余额不足"),
        ("0000", "扣款成功"),
        ("1004", "卡号不存在"),
        ("0000", "扣款成功"),
    ]


def test_d4_every_reason_has_its_own_code_and_the_bank_message():
    cards = dict(zip(CARDS, REASONS, strict=False))
    _header, items = result(answer_deduction_file(request(), failures=cards))
    answered = {item[3]: (item[5], item[6]) for item in items}
    assert answered[CARDS[0]] == ("1001", "余额不足")
    assert answered[CARDS[1]] == ("1002", "账户状态异常")
    assert answered[CARDS[2]] == ("1003", "户名不符")
    assert answered[CARDS[3]] == ("1004", "卡号不存在")
    assert answered[CARDS[4]] == ("0000", "扣款成功")
    assert len({code for code, _message in REASONS.values()} | {"0000"}) == 5
    # A reason may be named by key, bank code or message.
    for key, (code, message) in REASONS.items():
        assert simulated_bank.reason_key(code) == simulated_bank.reason_key(message) == key


def test_d4_a_failure_rate_with_a_seed_is_deterministic():
    content = request(request_lines(200))
    first = answer_deduction_file(content, fail_rate=0.3, seed=7)
    assert answer_deduction_file(content, fail_rate=0.3, seed=7) == first
    assert answer_deduction_file(content, fail_rate=0.3, seed=8) != first
    _header, items = result(first)
    failed = [item for item in items if item[5] != "0000"]
    assert 30 <= len(failed) <= 90
    assert {item[5] for item in failed} == {code for code, _m in REASONS.values()}
    _header, none = result(answer_deduction_file(content, seed=7))
    assert {item[5] for item in none} == {"0000"}
    _header, every = result(answer_deduction_file(content, fail_rate=1, seed=7))
    assert "0000" not in {item[5] for item in every}


def test_d4_a_card_failure_does_not_shift_the_seeded_draws_of_other_items():
    content = request(request_lines(50))
    _h, plain = result(answer_deduction_file(content, fail_rate=0.2, seed=3))
    _h, pinned = result(
        answer_deduction_file(content, fail_rate=0.2, seed=3, failures={CARDS[0]: "name_mismatch"})
    )
    for before, after in zip(plain, pinned, strict=True):
        if after[3] == CARDS[0]:
            assert after[5] == "1003"
        else:
            assert after == before


def test_d4_the_request_reader_returns_batch_and_items():
    batch, items = read_deduction_request(request())
    assert batch == "B2022-0001"
    assert items[0] == ["D", "1", "E1000", CARDS[0], "张三", "320402198001010000", "30.00"]
    assert len(items) == 5


def refused(lines=None, content=None) -> str:
    with pytest.raises(MalformedDeductionFile) as error:
        answer_deduction_file(content if content is not None else request(lines))
    return str(error.value)


def test_d4_malformed_requests_are_refused_naming_the_problem():
    good = request_lines()
    assert "第 1 行：文件头" in refused(["X|B1|5|150.00", *good[1:]])
    assert "第 1 行：文件头" in refused(["H|B1|5", *good[1:]])
    assert "第 1 行：文件头" in refused(["H|B1|five|150.00", *good[1:]])
    assert "第 1 行：文件头" in refused(["H|B1|5|150", *good[1:]])
    assert refused(["H|B1|6|150.00", *good[1:]]) == "文件头写明 6 笔，文件实有 5 笔。"
    assert "明细合计 150.00" in refused(["H|B1|5|180.00", *good[1:]])
    assert "第 3 行：明细行" in refused([*good[:2], good[2] + "|extra", *good[3:]])
    assert "第 3 行：明细行" in refused([*good[:2], good[2].replace("|", ",", 1), *good[3:]])
    assert "第 3 行：序号应为 2" in refused([*good[:2], good[2].replace("D|2|", "D|3|"), *good[3:]])
    assert "第 2 行：金额" in refused([good[0], good[1][:-5] + "-30.00", *good[2:]])
    assert "第 2 行：卡号" in refused([good[0], good[1].replace(CARDS[0], "1234"), *good[2:]])
    assert "明细号 E1000 重复" in refused([*good[:2], good[2].replace("E1001", "E1000"), *good[3:]])
    assert "为空" in refused([good[0], good[1].replace("张三", ""), *good[2:]])
    assert refused(content=b"") == "请求文件为空。"
    # Bytes GBK has no character for (0xFF never starts or ends a GBK character).
    not_gbk = request().replace("张三".encode("gbk"), b"\xff\xff")
    assert refused(content=not_gbk) == "请求文件不是 GBK 编码的文本。"


def bank(*args):
    out = io.StringIO()
    call_command("bank", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_d4_the_command_answers_a_request_file(tmp_path):
    source, target = tmp_path / "request.txt", tmp_path / "result.txt"
    source.write_bytes(request())
    printed = bank(
        "simulate-deduction",
        str(source),
        "--out",
        str(target),
        "--fail",
        f"{CARDS[2]}=account_abnormal",
        "--fail",
        f"{CARDS[4]}=户名不符",
    )
    assert printed.strip() == f"已应答 5 笔，其中失败 2 笔：{target}"
    _header, items = result(target.read_bytes())
    assert [item[5] for item in items] == ["0000", "0000", "1002", "0000", "1003"]
    bank(
        "simulate-deduction", str(source), "--out", str(target), "--fail-rate", "0.5", "--seed", "1"
    )
    seeded = target.read_bytes()
    bank(
        "simulate-deduction", str(source), "--out", str(target), "--fail-rate", "0.5", "--seed", "1"
    )
    assert target.read_bytes() == seeded


def command_refusal(*args) -> str:
    with pytest.raises(CommandError) as error:
        bank(*args)
    assert error.value.returncode == 2
    return str(error.value)


def test_d4_the_command_refuses_bad_input_with_exit_2_in_chinese(tmp_path):
    source, target = tmp_path / "request.txt", tmp_path / "result.txt"
    source.write_bytes(request(["H|B1|9|150.00", *request_lines()[1:]]))
    message = command_refusal("simulate-deduction", str(source), "--out", str(target))
    assert message == f"{source}：文件头写明 9 笔，文件实有 5 笔。"
    assert not target.exists()
    source.write_bytes(request())
    assert "未知的扣款失败原因 broke" in command_refusal(
        "simulate-deduction", str(source), "--out", str(target), "--fail", f"{CARDS[0]}=broke"
    )
    assert (
        command_refusal("simulate-deduction", str(source), "--out", str(target), "--fail", "nocard")
        == "--fail 的格式为 卡号=原因。"
    )
    assert "0 到 1" in command_refusal(
        "simulate-deduction", str(source), "--out", str(target), "--fail-rate", "2"
    )
    assert "文件或文件夹不存在" in command_refusal(
        "simulate-deduction", str(tmp_path / "missing.txt"), "--out", str(target)
    )


def test_7a_a_payment_notice_has_the_contract_shape_and_a_valid_signature():
    notice = payment_notice(
        year=2022,
        occurred_at="2022-01-05T09:30:00+08:00",
        id_number="320402198001010000",
        amount="30",
        transaction_id="T123",
        notice_id="N1",
    )
    assert notice == {
        "notice_id": "N1",
        "type": "payment",
        "year": 2022,
        "occurred_at": "2022-01-05T09:30:00+08:00",
        "member": {"id_number": "320402198001010000"},
        "amount": "30.00",
        "transaction_id": "T123",
    }
    fresh = payment_notice(
        year=2022, occurred_at="2022-01-05T09:30:00+08:00", id_number="x", amount=Decimal("30")
    )
    assert fresh["notice_id"] and fresh["transaction_id"] and fresh["notice_id"] != "N1"
    body, headers = simulated_bank.signed_request(notice, SECRET)
    assert json.loads(body) == notice
    stamp = headers[adapters.TIMESTAMP_HEADER]
    assert headers[adapters.SIGNATURE_HEADER] == adapters.signature(SECRET, stamp, body)
    # The adapter accepts the signature and the contract (SPEC D2: payments are received).
    http = RequestFactory().post(
        simulated_bank.PATH, data=body, content_type="application/json", headers=headers
    )
    verified = adapters.HmacAdapter(SECRET).verify(http)
    assert (verified.type, verified.member["amount"]) == ("payment", Decimal("30.00"))
    assert verified.member["transaction_id"] == "T123"
    forged = dict(headers, **{adapters.SIGNATURE_HEADER: "0" * 64})
    http = RequestFactory().post(
        simulated_bank.PATH, data=body, content_type="application/json", headers=forged
    )
    with pytest.raises(adapters.Unauthorized):
        adapters.HmacAdapter(SECRET).verify(http)


def test_7a_the_payment_command_posts_a_signed_notice(monkeypatch, settings):
    settings.HUZHU_BANK_SECRET = SECRET
    sent = {}

    def fake_send(notice, secret, *, url):
        sent.update(notice=notice, secret=secret, url=url)
        return 200, {"status": "accepted"}

    monkeypatch.setattr(simulated_bank, "send", fake_send)
    printed = bank(
        "simulate-payment",
        "--url",
        "http://127.0.0.1:9",
        "--year",
        "2022",
        "--id-number",
        "320402198001010000",
        "--amount",
        "30.00",
        "--transaction-id",
        "T9",
    )
    assert printed.strip() == '200 {"status": "accepted"}'
    assert sent["secret"] == SECRET and sent["url"] == "http://127.0.0.1:9"
    assert sent["notice"]["type"] == "payment"
    assert sent["notice"]["amount"] == "30.00" and sent["notice"]["transaction_id"] == "T9"
    assert sent["notice"]["member"] == {"id_number": "320402198001010000"}
    assert (
        command_refusal(
            "simulate-payment",
            "--url",
            "http://x",
            "--year",
            "2022",
            "--id-number",
            "1",
            "--amount",
            "thirty",
        )
        == "--amount 应为以元为单位的金额，例如 30.00。"
    )
