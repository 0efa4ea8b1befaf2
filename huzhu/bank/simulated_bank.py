"""A simulated bank: builds and signs a notice exactly as the bank does (SPEC §7a) and posts
it, to a running server by URL, to a Django test client, or through the endpoint's own view
inside this process (`deliver`, the portal's simulated 工会互助 signing); sends self-payment
notices; answers deduction request files with result files (SPEC D4). Used by the tests and
the demo."""

import datetime
import json
import random
import re
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

from django.urls import resolve
from django.utils.translation import gettext as _

from huzhu.bank.adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from huzhu.dates import SCHEME_ZONE
from huzhu.money import format_yuan

PATH = "/api/v1/bank/notices"


def signing_notice(*, year: int, occurred_at: str, member: dict[str, Any], **extra) -> dict:
    return {
        "notice_id": extra.pop("notice_id", None) or uuid.uuid4().hex,
        "type": "signing",
        "year": year,
        "occurred_at": occurred_at,
        "member": member,
        **extra,
    }


def occurred_at(today: datetime.date, now: datetime.datetime | None = None) -> str:
    """The moment the bank records: the given scheme day at the current Shanghai time of day,
    ISO 8601 with its +08:00 offset. The day comes from the caller's calendar (`scheme_today`)
    so a test that fixes the day fixes the notice's window date too."""
    clock = (now or datetime.datetime.now(SCHEME_ZONE)).astimezone(SCHEME_ZONE)
    moment = datetime.datetime.combine(today, clock.time().replace(microsecond=0), SCHEME_ZONE)
    return moment.isoformat()


def signed_request(
    notice: dict | bytes, secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = notice if isinstance(notice, bytes) else json.dumps(notice, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return body, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, body)}


def send(
    notice: dict | bytes,
    secret: str,
    *,
    url: str | None = None,
    client=None,
    timestamp: int | None = None,
) -> tuple[int, dict]:
    """Post the signed notice; (status, JSON answer)."""
    body, headers = signed_request(notice, secret, timestamp)
    if client is not None:
        response = client.post(PATH, data=body, content_type="application/json", headers=headers)
        return response.status_code, response.json()
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise ValueError("The bank posts to an http:// or https:// address.")
    request = urllib.request.Request(  # noqa: S310
        url.rstrip("/") + PATH,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def deliver(notice: dict, secret: str) -> tuple[int, dict]:
    """Sign the notice and hand it to the endpoint's view in this process, through the same
    routing, HMAC check, contract and service a bank's HTTP request goes through."""
    from django.test import RequestFactory

    body, headers = signed_request(notice, secret)
    request = RequestFactory().post(
        PATH, data=body, content_type="application/json", headers=headers
    )
    match = resolve(PATH)
    response = match.func(request, *match.args, **match.kwargs)
    return response.status_code, json.loads(response.content or b"{}")


def payment_notice(
    *,
    year: int,
    occurred_at: str,
    id_number: str,
    amount: Decimal | str,
    transaction_id: str | None = None,
    notice_id: str | None = None,
) -> dict:
    """A self-payment notice (SPEC §7a `payment`): the member's ID number in `member` as for a
    revocation, the amount as a yuan string with two places, the bank's transaction id. Sign
    and post it with `send` or `deliver`, the same path as a signing notice."""
    return {
        "notice_id": notice_id or uuid.uuid4().hex,
        "type": "payment",
        "year": year,
        "occurred_at": occurred_at,
        "member": {"id_number": id_number},
        "amount": format_yuan(Decimal(amount)),
        "transaction_id": transaction_id or "T" + uuid.uuid4().hex[:20].upper(),
    }


# --- Deduction files (SPEC D4) ----------------------------------------------------------------

DEBITED = ("0000", "扣款成功")
"""The result code and message of a debited item."""

REASONS: dict[str, tuple[str, str]] = {
    "insufficient_funds": ("1001", "余额不足"),
    "account_abnormal": ("1002", "账户状态异常"),
    "name_mismatch": ("1003", "户名不符"),
    "no_such_card": ("1004", "卡号不存在"),
}
"""The simulated bank's failure reasons: key → (bank code, the bank's message)."""

_AMOUNT = re.compile(r"\d{1,12}\.\d{2}")
_CARD = re.compile(r"\d{16,19}")


class MalformedDeductionFile(ValueError):
    """The request file does not follow SPEC D4; the message says where, in Chinese."""


def reason_key(value: str) -> str:
    """A failure reason given as its key, its bank code or its Chinese message."""
    for key, (code, message) in REASONS.items():
        if value.strip() in (key, code, message):
            return key
    raise KeyError(value)


def _amount(text: str, line: int) -> Decimal:
    if not _AMOUNT.fullmatch(text) or Decimal(text) <= 0:
        raise MalformedDeductionFile(
            _(
                "Line %(line)s: the amount must be a positive amount in yuan with two "
                "decimals, such as 30.00."
            )
            % {"line": line}
        )
    return Decimal(text)


def read_deduction_request(content: bytes) -> tuple[str, list[list[str]]]:
    """The batch id and the detail lines' fields of a D4 request file, checked field by field
    and against its header; MalformedDeductionFile otherwise."""
    try:
        text = content.decode("gbk")
    except UnicodeDecodeError:
        raise MalformedDeductionFile(_("The request file is not GBK text.")) from None
    lines = text.splitlines()
    if not lines:
        raise MalformedDeductionFile(_("The request file is empty."))
    header = lines[0].split("|")
    if (
        len(header) != 4
        or header[0] != "H"
        or not header[1].strip()
        or not header[2].isascii()
        or not header[2].isdigit()
        or not _AMOUNT.fullmatch(header[3])
    ):
        raise MalformedDeductionFile(
            _("Line %(line)s: the header must be H|batch id|count|total.") % {"line": 1}
        )
    items: list[list[str]] = []
    seen: set[str] = set()
    total = Decimal("0.00")
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("|")
        if len(fields) != 7 or fields[0] != "D":
            raise MalformedDeductionFile(
                _(
                    "Line %(line)s: a detail line must be "
                    "D|sequence|item id|card number|name|ID number|amount."
                )
                % {"line": number}
            )
        _d, seq, item_id, card_no, name, id_no, amount = fields
        if seq != str(len(items) + 1):
            raise MalformedDeductionFile(
                _("Line %(line)s: the sequence number must be %(seq)s.")
                % {"line": number, "seq": len(items) + 1}
            )
        if not (item_id.strip() and name.strip() and id_no.strip()):
            raise MalformedDeductionFile(
                _("Line %(line)s: the item id, name or ID number is empty.") % {"line": number}
            )
        if not _CARD.fullmatch(card_no) or not card_no.isascii():
            raise MalformedDeductionFile(
                _("Line %(line)s: the card number must be 16 to 19 digits.") % {"line": number}
            )
        if item_id in seen:
            raise MalformedDeductionFile(
                _("Line %(line)s: item %(item)s appears twice.") % {"line": number, "item": item_id}
            )
        seen.add(item_id)
        total += _amount(amount, number)
        items.append(fields)
    if int(header[2]) != len(items):
        raise MalformedDeductionFile(
            _("The header says %(said)s items but the file has %(found)s.")
            % {"said": int(header[2]), "found": len(items)}
        )
    if Decimal(header[3]) != total:
        raise MalformedDeductionFile(
            _("The header says a total of %(said)s but the items add up to %(found)s.")
            % {"said": header[3], "found": format_yuan(total)}
        )
    return header[1], items


def answer_deduction_file(
    content: bytes,
    *,
    failures: dict[str, str] | None = None,
    fail_rate: float = 0.0,
    seed: int | None = None,
) -> bytes:
    """The bank's result file (SPEC D4) for a request file, in GBK.

    An item fails when its card number is in `failures` (card → reason key, code or message,
    see REASONS); any other item fails with probability `fail_rate`, the reason drawn too, from
    a `random.Random(seed)` consulted for every item in file order — the same file, rate and
    seed give the same answer. Everything else is debited (`0000`). The result header repeats
    the request's batch id, count and total: every item requested, debited or not, so the
    receiver checks it against the batch it sent."""
    return _answer(content, failures=failures, fail_rate=fail_rate, seed=seed, success=DEBITED)


# --- Payout files (SPEC C4: the layout of D4) ---------------------------------------------------

CREDITED = ("0000", "入账成功")
"""The result code and message of a payout credited to the card."""


def answer_payout_file(
    content: bytes,
    *,
    failures: dict[str, str] | None = None,
    fail_rate: float = 0.0,
    seed: int | None = None,
) -> bytes:
    """The bank's result file for a payout request file (SPEC C4), in GBK: the layout of
    the deduction files (D4). An item fails when its card number or its item id is in
    `failures` (→ reason key, code or message, see REASONS), or with probability
    `fail_rate` as for a deduction; everything else is credited (`0000`)."""
    return _answer(content, failures=failures, fail_rate=fail_rate, seed=seed, success=CREDITED)


def _answer(
    content: bytes,
    *,
    failures: dict[str, str] | None,
    fail_rate: float,
    seed: int | None,
    success: tuple[str, str],
) -> bytes:
    batch_id, items = read_deduction_request(content)
    chosen = {card: reason_key(reason) for card, reason in (failures or {}).items()}
    draw = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    keys = list(REASONS)
    total = Decimal("0.00")
    lines = []
    for _d, seq, item_id, card_no, _name, _id_no, amount in items:
        failing = draw.random() < fail_rate
        drawn = draw.choice(keys)
        key = chosen.get(card_no) or chosen.get(item_id) or (drawn if failing else None)
        code, message = REASONS[key] if key else success
        total += Decimal(amount)
        lines.append(f"D|{seq}|{item_id}|{card_no}|{amount}|{code}|{message}")
    header = f"H|{batch_id}|{len(items)}|{format_yuan(total)}"
    return ("\r\n".join([header, *lines]) + "\r\n").encode("gbk")
