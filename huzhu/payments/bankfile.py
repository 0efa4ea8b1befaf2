"""The default adapter's deduction files (SPEC D4): GBK, `|` separated, a header line
`H|{batch_id}|{count}|{total}` and one `D|...` line per item; amounts with two places."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

ENCODING = "gbk"
DEBITED = "0000"


class PaymentFileError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RequestLine:
    seq: int
    item_id: int
    card_no: str
    name: str
    id_no: str
    amount: Decimal


@dataclass(frozen=True)
class ResultLine:
    seq: int
    item_id: int
    card_no: str
    amount: Decimal
    code: str
    message: str


@dataclass(frozen=True)
class ResultFile:
    batch_id: str
    count: int
    total: Decimal
    lines: list[ResultLine]


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def write_request(*, batch_id: str, lines: list[RequestLine]) -> bytes:
    total = sum((line.amount for line in lines), Decimal("0"))
    out = [f"H|{batch_id}|{len(lines)}|{money(total)}"]
    out += [
        f"D|{x.seq}|{x.item_id}|{x.card_no}|{x.name}|{x.id_no}|{money(x.amount)}" for x in lines
    ]
    return ("\n".join(out) + "\n").encode(ENCODING)


def _refuse(number: int, reason: str) -> PaymentFileError:
    return PaymentFileError(
        _("Line %(line)s of the result file: %(reason)s") % {"line": number, "reason": reason}
    )


def _amount(text: str, number: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value.as_tuple().exponent != -2 or value < 0:
        raise _refuse(
            number, _("the amount %(amount)s is not yuan with two places.") % {"amount": text}
        )
    return value


def _whole(text: str, number: int, field: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise _refuse(
            number, _("%(field)s %(value)s is not a number.") % {"field": field, "value": text}
        )
    return int(text)


def parse_result(content: bytes) -> ResultFile:
    """The result file, or PaymentFileError naming the first line off the format."""
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise PaymentFileError(_("The result file is not GBK text.")) from exc
    rows = [row.rstrip("\r") for row in text.split("\n")]
    while rows and rows[-1] == "":
        rows.pop()
    if not rows:
        raise PaymentFileError(_("The result file is empty."))
    head = rows[0].split("|")
    if len(head) != 4 or head[0] != "H" or not head[1]:
        raise _refuse(1, _("the header must be H|batch|count|total."))
    count = _whole(head[2], 1, _("the count"))
    total = _amount(head[3], 1)
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        fields = row.split("|")
        if len(fields) != 7 or fields[0] != "D":
            raise _refuse(number, _("a line must be D|seq|item|card|amount|code|message."))
        lines.append(
            ResultLine(
                seq=_whole(fields[1], number, _("the sequence number")),
                item_id=_whole(fields[2], number, _("the item")),
                card_no=fields[3],
                amount=_amount(fields[4], number),
                code=fields[5],
                message=fields[6],
            )
        )
    if len(lines) != count:
        raise PaymentFileError(
            _("The header counts %(count)s items but the file has %(lines)s.")
            % {"count": count, "lines": len(lines)}
        )
    if sum((line.amount for line in lines), Decimal("0")) != total:
        raise PaymentFileError(
            _("The header total %(total)s is not the sum of the lines.") % {"total": money(total)}
        )
    return ResultFile(batch_id=head[1], count=count, total=total, lines=lines)
