"""The whole collective deduction through the commands, answered by the simulated bank
(SPEC D3–D6): the request file the batch writes is the one the bank reads, and the bank's
result file is the one the batch accepts."""

import io

import pytest
from django.core.management import call_command

from huzhu.enrollment.models import Enrollment, State
from huzhu.members import crypto
from huzhu.payments.models import DeductionItem
from tests.payments.helpers import signed

pytestmark = pytest.mark.django_db


def test_d3_d6_a_batch_answered_by_the_simulated_bank_pays_and_fails_as_the_bank_says(
    tree, tmp_path
):
    paid = signed(tree.hutang_union, "张甲")
    poor = signed(tree.hutang_union, "李乙")
    card = crypto.decrypt(poor.member.union_card_encrypted)
    request = tmp_path / "request.txt"
    result = tmp_path / "result.txt"
    call_command(
        "deduction", "create", "--year", "2022", "--out", str(request), stdout=io.StringIO()
    )
    call_command(
        "bank",
        "simulate-deduction",
        str(request),
        "--out",
        str(result),
        "--fail",
        f"{card}=余额不足",
        stdout=io.StringIO(),
    )
    call_command("deduction", "apply", str(result), stdout=io.StringIO())
    states = dict(Enrollment.objects.values_list("pk", "state"))
    assert states[paid.pk] == State.PAID and states[poor.pk] == State.FAILED
    failed = DeductionItem.objects.get(enrollment=poor)
    assert failed.bank_message == "余额不足"
    # The failed member goes into the next batch; the paid one does not (D6).
    again = tmp_path / "again.txt"
    call_command("deduction", "create", "--year", "2022", "--out", str(again), stdout=io.StringIO())
    assert list(
        DeductionItem.objects.filter(outcome="pending").values_list("enrollment", flat=True)
    ) == [poor.pk]
