"""The bank adapter for deduction files (SPEC D4): the default format, and another bank's
format plugged in by HUZHU_BANK_FILE_FORMAT without touching the batch code."""

from unittest import mock

import pytest

from huzhu.enrollment.models import State
from huzhu.payments import bankfile
from huzhu.payments.bankfile import D4Format, bank_file_format
from huzhu.payments.services import apply_result, create_batch, request_content
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db

MARK = "# 另一家银行的文件\n".encode(bankfile.ENCODING)


class MarkedFormat(D4Format):
    """D4 with a first line of its own: stands for another bank's format."""

    def request_header(self, **kwargs) -> bytes:
        return MARK + super().request_header(**kwargs)

    def parse_result(self, content: bytes):
        assert content.startswith(MARK), "the other bank's result must be read by its format"
        return super().parse_result(content[len(MARK) :])

    def result_batch_id(self, content: bytes):
        return super().result_batch_id(content.removeprefix(MARK))


def test_d4_the_default_format_is_the_specs():
    assert isinstance(bank_file_format(), D4Format)
    assert bank_file_format().result_batch_id(b"H|2022AB|1|30.00\r\nD|...") == "2022AB"
    assert bank_file_format().result_batch_id("页眉".encode()) is None


def test_d4_another_banks_format_is_used_for_the_request_and_the_result(tree, settings):
    settings.HUZHU_BANK_FILE_FORMAT = f"{__name__}.MarkedFormat"
    paid = signed(tree.hutang_union, "赵一")
    failing = signed(tree.hutang_union, "钱二")
    batch = create_batch(year=2022, actor=None)
    assert request_content(batch).startswith(MARK)

    answer = MARK + _d4_result(batch, failing)
    applied = apply_result(content=answer, actor=None)

    assert (applied.debited, applied.failed) == (1, 1)
    paid.refresh_from_db()
    failing.refresh_from_db()
    assert (paid.state, failing.state) == (State.PAID, State.FAILED)


def _d4_result(batch, failing) -> bytes:
    """The D4 result the helper writes, from the request without the other bank's line."""
    with mock.patch(
        "tests.payments.helpers.request_content",
        lambda b: request_content(b).removeprefix(MARK),
    ):
        return result_file(batch, {failing.pk: ("1001", "余额不足")})
