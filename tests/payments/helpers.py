"""Members signed for 2022 and result files answering a batch's request file."""

import datetime
import itertools
from decimal import Decimal

from huzhu.enrollment import services as enrollment_services
from huzhu.payments.bankfile import ENCODING, money
from huzhu.payments.services import request_content
from tests.conftest import add_member

_cards = itertools.count(1)


def signed(unit, name="赵六", year=2022):
    member = add_member(
        unit, name=name, phone="13700001111", union_card=f"62316600000{next(_cards) + 50000:08d}"
    )
    return enrollment_services.sign(
        member=member,
        year=year,
        channel="paper",
        signed_on=datetime.date(year - 1, 12, 1) if year == 2021 else datetime.date(2021, 11, 1),
        source="console",
        actor=None,
    ).enrollment


def request_lines(batch) -> list[list[str]]:
    text = request_content(batch).decode(ENCODING)
    return [row.split("|") for row in text.splitlines()]


def result_file(batch, failures=None, *, header=None, extra=(), drop=0) -> bytes:
    """The bank's answer to `batch`: every item debited except `failures` (enrollment id →
    (code, message)); `header`, `extra` and `drop` tamper with it."""
    failures = failures or {}
    from huzhu.payments.models import DeductionItem

    enrollment_of = dict(DeductionItem.objects.filter(batch=batch).values_list("pk", "enrollment"))
    rows = request_lines(batch)[1:]
    lines = []
    for _d, seq, item_id, card, _name, _id_no, amount in rows[drop:]:
        code, message = failures.get(enrollment_of[int(item_id)], ("0000", "成功"))
        lines.append(f"D|{seq}|{item_id}|{card}|{amount}|{code}|{message}")
    lines.extend(extra)
    total = sum((Decimal(line.split("|")[4]) for line in lines), Decimal("0"))
    head = header or f"H|{batch.number}|{len(lines)}|{money(total)}"
    return ("\n".join([head, *lines]) + "\n").encode(ENCODING)
