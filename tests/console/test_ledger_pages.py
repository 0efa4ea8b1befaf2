"""The fund ledger's pages (SPEC D9, §12 Finance): finance and the district read and
correct, auditors read, nobody else sees it; bad filters and amounts never give a 500."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.ledger.models import LedgerEntry
from huzhu.payments.services import apply_result, create_batch
from huzhu.policy.selectors import current_policies
from tests.conftest import make_user, sign_in
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(tree):
    return make_user("cashier", Role.FINANCE, tree.district, True)


def fee() -> Decimal:
    return current_policies()[2022].fee


def settle(tree, names, failing=()):
    enrollments = [signed(tree.hutang_union, name) for name in names]
    batch = create_batch(year=2022, actor=None)
    failures = {enrollments[i].pk: ("1001", "余额不足") for i in failing}
    apply_result(content=result_file(batch, failures), actor=None)
    return batch


def test_d9_finance_sees_the_entries_the_balance_and_a_balanced_reconciliation(
    client, tree, finance
):
    batch = settle(tree, ["赵一", "钱二"], failing=[1])
    sign_in(client, finance)
    page = client.get(reverse("console:ledger")).content.decode()
    assert "基金账目" in page and batch.number in page
    assert f"基金余额：{fee():.2f}" in page
    days = client.get(reverse("console:ledger_days")).content.decode()
    assert 'id="days-balanced"' in days and f"{fee():.2f}" in days
    checks = client.get(reverse("console:ledger_reconcile")).content.decode()
    assert "平衡：账目与银行记录一致" in checks
    assert f"1 / {fee():.2f}" in checks  # one debited, one failed, each for the fee


def test_d9_a_correction_through_the_page_is_a_new_entry(client, tree, finance):
    settle(tree, ["赵一"])
    entry = LedgerEntry.objects.get()
    sign_in(client, finance)
    url = reverse("console:ledger_correct", args=[entry.pk])
    response = client.post(url, {"amount": "-10.00", "reason": "银行退回一笔"})
    assert response.status_code == 302
    correction = LedgerEntry.objects.exclude(pk=entry.pk).get()
    assert (correction.corrects_id, correction.amount) == (entry.pk, Decimal("-10.00"))
    listing = client.get(reverse("console:ledger")).content.decode()
    assert f"更正 #{entry.pk}" in listing and "银行退回一笔" in listing


@pytest.mark.parametrize(
    ("amount", "reason", "expected"),
    [
        ("1e400", "x", "更正金额（元）"),
        ("abc", "x", "更正金额（元）"),
        ("0.001", "x", "两位小数"),
        ("0", "x", "不能为零"),
        ("-1", "", "更正原因"),
    ],
)
def test_d9_a_bad_correction_is_refused_naming_the_field(
    client, tree, finance, amount, reason, expected
):
    settle(tree, ["赵一"])
    entry = LedgerEntry.objects.get()
    sign_in(client, finance)
    response = client.post(
        reverse("console:ledger_correct", args=[entry.pk]), {"amount": amount, "reason": reason}
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert LedgerEntry.objects.count() == 1


def test_d9_a_correction_of_a_correction_or_a_missing_entry_is_404(client, tree, finance):
    settle(tree, ["赵一"])
    entry = LedgerEntry.objects.get()
    sign_in(client, finance)
    client.post(reverse("console:ledger_correct", args=[entry.pk]), {"amount": "1", "reason": "x"})
    correction = LedgerEntry.objects.exclude(pk=entry.pk).get()
    for pk in (correction.pk, 987654321):
        assert client.get(reverse("console:ledger_correct", args=[pk])).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "?year=abc&kind=nothing&start=2022-13-45&end=x",
        "?year=1e400&page=999999",
        "?start=" + "9" * 500,
        "?kind=fee_income&year=2022&start=2021-01-01&end=2030-12-31",
    ],
)
def test_d9_odd_filters_are_ignored_never_a_500(client, tree, finance, query):
    settle(tree, ["赵一"])
    sign_in(client, finance)
    for name in ("console:ledger", "console:ledger_days", "console:ledger_reconcile"):
        assert client.get(reverse(name) + query).status_code == 200


def test_d9_the_entries_page_reads_in_a_constant_number_of_queries(client, tree, finance):
    settle(tree, ["赵一"])
    sign_in(client, finance)
    client.get(reverse("console:ledger"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("console:ledger"))
    settle(tree, ["钱二", "孙三", "李四"])
    settle(tree, ["周五"])
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("console:ledger"))
    assert LedgerEntry.objects.count() == 3
    assert len(more.captured_queries) == len(few.captured_queries)


def test_d9_the_reconciliation_page_reads_the_banks_files_when_asked(client, tree, finance):
    settle(tree, ["赵一", "钱二"], failing=[1])
    sign_in(client, finance)
    plain = client.get(reverse("console:ledger_reconcile")).content.decode()
    assert "银行回盘文件</th>" not in plain
    read = client.get(reverse("console:ledger_reconcile") + "?files=1").content.decode()
    cell = f"1 / {fee():.2f}</td>"  # one item of the fee: debited, failed, and the bank's file
    assert plain.count(cell) == 2
    assert "银行回盘文件</th>" in read and read.count(cell) == 3
    assert "平衡：账目与银行记录一致" in read


def test_d9_the_same_correction_form_sent_twice_records_one_entry(client, tree, finance):
    """SPEC D9: a double click (or the back button and a second send) on a correction
    recorded it twice, and the ledger was off by the amount again. The form names the
    corrections it was shown; a second send finds one more and is refused, saying why."""
    settle(tree, ["赵一"])
    entry = LedgerEntry.objects.get()
    sign_in(client, finance)
    url = reverse("console:ledger_correct", args=[entry.pk])
    form = client.get(url).context["form"]
    sent = {"amount": "-10.00", "reason": "银行退回一笔", "seen": form["seen"].value()}
    assert client.post(url, sent).status_code == 302
    again = client.post(url, sent)
    assert again.status_code == 200
    assert "已有新的更正" in again.content.decode()
    assert LedgerEntry.objects.filter(corrects=entry).count() == 1
