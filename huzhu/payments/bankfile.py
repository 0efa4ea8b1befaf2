"""The default adapter's deduction files (SPEC D4): GBK, `|` separated, a header line
`H|{batch_id}|{count}|{total}` and one `D|...` line per item; amounts with two places."""

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from huzhu.members.rules import mask_numbers_in_text
from huzhu.money import format_yuan as money

ENCODING = "gbk"
DEBITED = "0000"


# At most this many problems of one file are listed; the rest are counted (SPEC §14).
MAX_ERRORS = 1000


class PaymentFileError(Exception):
    """A bank file refused whole. `errors`: every problem found, one line each, at most
    MAX_ERRORS of them, `more` counting the rest; `message` is them all as text."""

    def __init__(self, message: str = "", *, errors: Sequence[str] = (), more: int = 0):
        self.errors = list(errors) or [message]
        self.more = more
        if not message:
            message = "\n".join(self.errors)
            if more:
                message += "\n" + _("… and %(n)s more problems.") % {"n": more}
        super().__init__(message)
        self.message = message
        # The batch the file names, when it could be read (kept with the refusal).
        self.batch_number = ""


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


class ResultFile:
    """A parsed result file in compact columns (a million lines as a few arrays, not a
    million objects): amounts in fen; codes and messages interned, as most repeat."""

    def __init__(self, *, batch_id: str, count: int, total: Decimal):
        self.batch_id = batch_id
        self.count = count
        self.total = total
        self.seqs = array("q")
        self.item_ids = array("q")
        self.fen = array("q")
        self.codes: list[str] = []
        self.messages: list[str] = []

    def __len__(self) -> int:
        return len(self.item_ids)

    @property
    def lines(self) -> Iterator[ResultLine]:
        for n in range(len(self)):
            yield ResultLine(
                seq=self.seqs[n],
                item_id=self.item_ids[n],
                card_no="",
                amount=Decimal(self.fen[n]) / 100,
                code=self.codes[n],
                message=self.messages[n],
            )


def request_header(*, batch_id: str, count: int, total: Decimal) -> bytes:
    return f"H|{batch_id}|{count}|{money(total)}\n".encode(ENCODING)


def request_lines(lines: Sequence[RequestLine]) -> bytes:
    """Lines of the request file, for writing it in chunks after its header."""
    amounts: dict[Decimal, str] = {}
    out = []
    for x in lines:
        amount = amounts.get(x.amount)
        if amount is None:
            amount = amounts[x.amount] = money(x.amount)
        out.append(f"D|{x.seq}|{x.item_id}|{x.card_no}|{x.name}|{x.id_no}|{amount}\n")
    return "".join(out).encode(ENCODING)


def write_request(*, batch_id: str, lines: list[RequestLine]) -> bytes:
    total = sum((line.amount for line in lines), Decimal("0"))
    return request_header(batch_id=batch_id, count=len(lines), total=total) + request_lines(lines)


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
    """`field`: "count", "seq" or "item"; its name is translated only for a message (a
    million lines would otherwise cost two million translation look-ups)."""
    if not text.isdigit() or not text.isascii() or len(text) > 18:
        name = {"count": _("the count"), "seq": _("the sequence number"), "item": _("the item")}
        raise _refuse(
            number,
            _("%(field)s %(value)s is not a number.") % {"field": name[field], "value": text},
        )
    return int(text)


class Problems:
    """Problems of one file, the first MAX_ERRORS kept, the rest counted."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.more = 0

    @property
    def full(self) -> bool:
        """Further problems are only counted: their message need not be written."""
        return len(self.kept) >= MAX_ERRORS

    def add(self, message: str) -> None:
        if len(self.kept) < MAX_ERRORS:
            self.kept.append(message)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.kept)

    def error(self) -> PaymentFileError:
        return PaymentFileError(errors=self.kept, more=self.more)


class Batch(Protocol):
    """What the checks read of a batch: a deduction batch or a payout batch."""

    number: str
    item_count: int
    total: Decimal


def batch_problems(result: "ResultFile", batch: Batch | None, *, settled: bool) -> Problems:
    """The header of a result file against the batch it names (SPEC D5): PaymentFileError
    when the batch is not known or already settled; otherwise the count and total that
    differ, as the first problems of the file."""
    if batch is None:
        raise PaymentFileError(
            _("The result file is for batch %(batch)s, which is not known.")
            % {"batch": result.batch_id}
        )
    if settled:
        raise PaymentFileError(
            _("Batch %(batch)s already has a different result applied.") % {"batch": batch.number}
        )
    problems = Problems()
    if result.count != batch.item_count:
        problems.add(
            _("The result file counts %(count)s items; batch %(batch)s has %(n)s.")
            % {"count": result.count, "batch": batch.number, "n": batch.item_count}
        )
    if result.total != batch.total:
        problems.add(
            _("The result file totals %(total)s yuan; batch %(batch)s totals %(expected)s.")
            % {
                "total": money(result.total),
                "batch": batch.number,
                "expected": money(batch.total),
            }
        )
    return problems


def line_problem(
    *,
    line: int,
    item: int,
    seq: int,
    fen: int,
    batch: str,
    known: bool,
    first: int,
    expected_seq: int | None,
    expected: Decimal | None,
) -> str | None:
    """What is wrong with one line of a result file against its batch's item (D5): not in
    the batch, the item again (`first`: the line it was first on), another number, another
    amount; None when the line is right."""
    if not known:
        return _(
            "Line %(line)s of the result file: item %(item)s (number %(seq)s) is not in "
            "batch %(batch)s."
        ) % {"line": line, "item": item, "seq": seq, "batch": batch}
    if line != first:
        return _(
            "Line %(line)s of the result file: item %(item)s appears again (first on "
            "line %(first)s)."
        ) % {"line": line, "item": item, "first": first}
    if seq != expected_seq:
        return _(
            "Line %(line)s of the result file: item %(item)s has number %(seq)s; in "
            "batch %(batch)s it is %(expected)s."
        ) % {"line": line, "item": item, "seq": seq, "batch": batch, "expected": expected_seq}
    expected = Decimal(0) if expected is None else expected
    if fen != int(expected * 100):
        return _(
            "Line %(line)s of the result file: the amount %(amount)s "
            "is not the item's %(expected)s."
        ) % {"line": line, "amount": money(Decimal(fen) / 100), "expected": money(expected)}
    return None


def _rows(text: str, end: int) -> Iterator[str]:
    """text[:end] line by line, without a copy of it or a list of its lines."""
    start = 0
    while True:
        stop = text.find("\n", start, end)
        if stop < 0:
            yield text[start:end]
            return
        yield text[start:stop]
        start = stop + 1


def parse_result(content: bytes) -> ResultFile:
    """The result file, or PaymentFileError listing every line off the format (D4)."""
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise PaymentFileError(_("The result file is not GBK text.")) from exc
    # Lines are read one at a time: a file within the size limit can hold tens of millions
    # of tiny lines, and a list of them would take many times the file's size.
    # Trailing blank lines do not count (str.strip's whitespace); the last line is kept whole.
    end = len(text.rstrip())
    if not end:
        raise PaymentFileError(_("The result file is empty."))
    stop = text.find("\n", end)
    end = stop if stop >= 0 else len(text)
    rows = _rows(text, end)
    head = next(rows).rstrip("\r").split("|")
    if len(head) != 4 or head[0] != "H" or not head[1]:
        raise _refuse(1, _("the header must be H|batch|count|total."))
    problems = Problems()
    count = total = None
    try:
        count = _whole(head[2], 1, "count")
    except PaymentFileError as exc:
        problems.add(exc.message)
    try:
        total = _amount(head[3], 1)
    except PaymentFileError as exc:
        problems.add(exc.message)
    result = ResultFile(batch_id=head[1], count=count or 0, total=total or Decimal(0))
    seqs, item_ids, fen = result.seqs, result.item_ids, result.fen
    codes, messages = result.codes, result.messages
    interned: dict[str, str] = {}
    masked: dict[str, str] = {}  # the bank's message as kept and shown: numbers masked (S2)
    cents: dict[str, int] = {}
    number = 1
    for row in rows:
        number += 1
        fields = row.rstrip("\r").split("|")
        if len(fields) != 7 or fields[0] != "D":
            if problems.full:
                problems.more += 1
                continue
            problems.add(
                _refuse(number, _("a line must be D|seq|item|card|amount|code|message.")).message
            )
            continue
        amount_text = fields[4]
        value = cents.get(amount_text)
        try:
            if value is None:
                value = int(_amount(amount_text, number) * 100)
                if len(cents) < 1000:
                    cents[amount_text] = value
            seq_no = _whole(fields[1], number, "seq")
            item = _whole(fields[2], number, "item")
        except PaymentFileError as exc:
            problems.add(exc.message)
            continue
        seqs.append(seq_no)
        item_ids.append(item)
        fen.append(value)
        code, message = fields[5], fields[6]
        codes.append(interned.setdefault(code, code))
        shown = masked.get(message)
        if shown is None:
            shown = masked.setdefault(message, mask_numbers_in_text(message))
        messages.append(shown)
    lines = number - 1
    if count is not None and lines != count:
        problems.add(
            _("The header counts %(count)s items but the file has %(lines)s.")
            % {"count": count, "lines": lines}
        )
    if total is not None and not problems and sum(fen) != int(total * 100):
        problems.add(
            _("The header total %(total)s is not the sum of the lines.") % {"total": money(total)}
        )
    if problems:
        error = problems.error()
        error.batch_number = head[1]
        raise error
    return result


class BankFileFormat(Protocol):
    """A bank's deduction files: how a request is written and a result read. The default is
    SPEC D4 (`D4Format`); another bank is another class named by HUZHU_BANK_FILE_FORMAT.
    The result comes back as a `ResultFile`, which the rest of the system checks and applies
    the same way whatever the bank."""

    encoding: str

    def request_header(self, *, batch_id: str, count: int, total: Decimal) -> bytes: ...

    def request_lines(self, lines: Sequence[RequestLine]) -> bytes: ...

    def parse_result(self, content: bytes) -> ResultFile: ...

    def result_batch_id(self, content: bytes) -> str | None:
        """The batch a result file names, read from its start only; None when the file does
        not start as this bank's result file."""
        ...


class D4Format:
    """SPEC D4: GBK, `|` separated, `H|batch|count|total` then one `D|…` line per item."""

    def request_header(self, *, batch_id: str, count: int, total: Decimal) -> bytes:
        return request_header(batch_id=batch_id, count=count, total=total)

    def request_lines(self, lines: Sequence[RequestLine]) -> bytes:
        return request_lines(lines)

    encoding = ENCODING

    def parse_result(self, content: bytes) -> ResultFile:
        return parse_result(content)

    def result_batch_id(self, content: bytes) -> str | None:
        first = content[:200].split(b"\n", 1)[0].rstrip(b"\r")
        try:
            fields = first.decode(ENCODING).split("|")
        except UnicodeDecodeError:
            return None
        if len(fields) != 4 or fields[0] != "H" or not fields[1]:
            return None
        return fields[1]


def bank_file_format() -> BankFileFormat:
    """The configured format (settings.HUZHU_BANK_FILE_FORMAT, a dotted class path)."""
    return import_string(settings.HUZHU_BANK_FILE_FORMAT)()
