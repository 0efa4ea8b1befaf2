"""Two batch builders at the same moment (SPEC D3): each enrollment in one batch only; one
result file applied twice at the same moment (SPEC D5): applied once."""

from string import ascii_letters

import pytest
from django.db import connection

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment.models import EnrollmentChange, State
from huzhu.payments.models import BankFileRecord, DeductionItem, FileKind, Outcome, Refund
from huzhu.payments.services import apply_result, create_batch
from tests.concurrency import at_once
from tests.payments.helpers import result_file, signed


@pytest.mark.django_db(transaction=True)
def test_d3_two_batches_built_at_once_take_each_enrollment_once(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    enrollments = [signed(tree.hutang_union, "并" + ascii_letters[n]) for n in range(40)]
    outcomes = at_once(
        lambda: create_batch(year=2022, actor=None),
        lambda: create_batch(year=2022, actor=None),
        expected=(),
    )
    assert outcomes == ["ok", "ok"]
    taken = list(DeductionItem.objects.values_list("enrollment", flat=True))
    assert sorted(taken) == sorted(e.pk for e in enrollments)


@pytest.mark.django_db(transaction=True)
def test_d5_the_same_result_file_applied_twice_at_once_is_applied_once(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    enrollments = [signed(tree.hutang_union, "双" + ascii_letters[n]) for n in range(30)]
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    poor = enrollments[0]
    content = result_file(batch, {poor.pk: ("1001", "余额不足")})
    answers = []

    def apply():
        answers.append(apply_result(content=content, actor=None))

    assert at_once(apply, apply, expected=()) == ["ok", "ok"]
    assert sorted(answer.already for answer in answers) == [False, True]
    applied = next(answer for answer in answers if not answer.already)
    assert (applied.debited, applied.failed) == (29, 1)
    assert BankFileRecord.objects.filter(kind=FileKind.RESULT).count() == 1
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_RESULT).count() == 1
    assert EnrollmentChange.objects.filter(to_state=State.PAID).count() == 29
    assert EnrollmentChange.objects.filter(to_state=State.FAILED).count() == 1
    assert DeductionItem.objects.filter(outcome=Outcome.DEBITED).count() == 29
    assert not Refund.objects.exists()
