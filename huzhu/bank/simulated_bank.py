"""A simulated bank: builds and signs a notice exactly as the bank does (SPEC §7a) and posts
it, to a running server by URL, to a Django test client, or through the endpoint's own view
inside this process (`deliver`, the portal's simulated 工会互助 signing). Used by the tests and
the demo."""

import datetime
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.urls import resolve

from huzhu.bank.adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from huzhu.dates import SCHEME_ZONE

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
