"""How a bank's notice reaches huzhu: an adapter verifies the request and turns it into a
`Notice`. The default adapter implements SPEC §7a; another bank with another contract gets
its own adapter with the same `verify`."""

import datetime
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from huzhu.dates import scheme_date

MAX_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "X-Huzhu-Timestamp"
SIGNATURE_HEADER = "X-Huzhu-Signature"
TYPES = ("signing", "revocation", "payment")
SCOPES = ("jiangsu", "other_province")
KNOWN_FIELDS = ("notice_id", "type", "year", "occurred_at", "member", "amount", "transaction_id")
# Yuan in ASCII digits with at most two places: no sign, exponent, spaces or other digits
# (Decimal reads "３０" and "0.3e2" as 30, and "1e400" cannot be rounded to fen).
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


class Unauthorized(Exception):
    """401: missing or wrong signature, or a timestamp too far from the server's clock."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Invalid(Exception):
    """422: the body does not match the contract; `field` names where (dotted)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Notice:
    notice_id: str
    type: str
    year: int
    occurred_at: datetime.datetime
    member: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def shanghai_date(self) -> datetime.date:
        """The day that decides the window (SPEC §7a): Shanghai's, not the arrival's."""
        return scheme_date(self.occurred_at)


class NoticeAdapter(Protocol):
    def verify(self, request: HttpRequest) -> Notice: ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _text(data: dict, name: str, where: str, max_length: int = 100) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(where + name, _("A non-empty text is required."))
    if len(value) > max_length:
        raise Invalid(where + name, _("At most %(count)s characters.") % {"count": max_length})
    return value.strip()


def _refuse_nul(data: dict) -> None:
    """U+0000 anywhere (PostgreSQL stores it neither in text nor in jsonb): Invalid naming
    the top-level field that holds it, or `body`."""
    for name, value in data.items():
        stack = [name, value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and "\x00" in item:
                field = name if name in KNOWN_FIELDS and "\x00" not in name else "body"
                raise Invalid(field, _("The text must not contain a NUL character."))


def parse(body: bytes) -> Notice:
    """The body as a Notice, or Invalid naming the first field that does not match."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested deep
        raise Invalid("body", _("The body is not JSON in UTF-8.")) from None
    if not isinstance(data, dict):
        raise Invalid("body", _("The body must be a JSON object."))
    _refuse_nul(data)
    notice_id = _text(data, "notice_id", "")
    kind = data.get("type")
    if kind not in TYPES:
        raise Invalid("type", _("The type must be signing, revocation or payment."))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise Invalid("year", _("The scheme year must be a whole number such as 2022."))
    raw_time = data.get("occurred_at")
    try:
        occurred_at = datetime.datetime.fromisoformat(raw_time)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        occurred_at = None
    if occurred_at is None or occurred_at.utcoffset() is None:
        raise Invalid(
            "occurred_at", _("A date and time in ISO 8601 with its UTC offset is required.")
        )
    person = data.get("member")
    if not isinstance(person, dict):
        raise Invalid("member", _("The member object is required."))
    member: dict[str, Any] = {"id_number": _text(person, "id_number", "member.", 18)}
    if kind == "signing":
        for name in ("name", "phone", "union_card", "town"):
            member[name] = _text(person, name, "member.", 100)
        employer = person.get("employer", "")
        if not isinstance(employer, str) or len(employer) > 100:
            raise Invalid("member.employer", _("At most %(count)s characters.") % {"count": 100})
        member["employer"] = employer.strip()
        insured = person.get("has_basic_insurance")
        if not isinstance(insured, bool):
            raise Invalid("member.has_basic_insurance", _("true or false is required."))
        member["has_basic_insurance"] = insured
        scope = person.get("insurance_scope")
        if scope not in SCOPES:
            raise Invalid("member.insurance_scope", _("jiangsu or other_province is required."))
        member["insurance_scope"] = scope
    if kind == "payment":
        member["amount"] = _amount(data)
        member["transaction_id"] = _text(data, "transaction_id", "", 64)
    return Notice(notice_id, kind, year, occurred_at, member, data)


def _amount(data: dict) -> Decimal:
    """SPEC §7a: the amount paid, yuan as a string with at most two places."""
    value = data.get("amount")
    amount = Decimal(value) if isinstance(value, str) and AMOUNT.fullmatch(value) else None
    if amount is None or amount <= 0:
        raise Invalid("amount", _('The amount must be yuan as text, such as "60.00".'))
    return amount.quantize(Decimal("0.01"))


class HmacAdapter:
    """SPEC §7a: HMAC-SHA256 over `{timestamp}.{raw body}`, lowercase hex, within 300 s."""

    def __init__(self, secret: str | None = None, clock=time.time):
        self.secret = secret
        self.clock = clock

    def verify(self, request: HttpRequest) -> Notice:
        secret = self.secret or settings.HUZHU_BANK_SECRET
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not stamp or not given:
            raise Unauthorized("missing_signature", _("The notice is not signed."))
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            raise Unauthorized("bad_timestamp", _("The timestamp is not Unix seconds."))
        body = request.body
        expected = signature(secret, stamp, body)
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise Unauthorized("bad_signature", _("The signature does not match."))
        if abs(self.clock() - int(stamp)) > MAX_SKEW_SECONDS:
            raise Unauthorized(
                "stale_timestamp",
                _("The timestamp is more than %(seconds)s seconds from the server's clock.")
                % {"seconds": MAX_SKEW_SECONDS},
            )
        return parse(body)


default_adapter: NoticeAdapter = HmacAdapter()
