"""SPEC E2: unpaid enrollments lapse after the policy's payment deadline, by a command an
operator schedules; an enrollment still at the bank waits for the bank's answer."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment.models import State
from huzhu.payments.lapse import LapseError, due_years, lapse_unpaid
from huzhu.payments.services import apply_result, create_batch
from huzhu.policy.selectors import current_policies
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2021, 12, 31)
AFTER = DEADLINE + datetime.timedelta(days=1)


def state(enrollment):
    enrollment.refresh_from_db()
    return enrollment.state


def test_e2_the_2022_deadline_is_the_policys():
    assert current_policies()[2022].payment_deadline == DEADLINE


def test_e2_nothing_lapses_on_or_before_the_deadline(tree):
    enrollment = signed(tree.hutang_union)
    with pytest.raises(LapseError, match="2021-12-31"):
        lapse_unpaid(year=2022, actor=None, today=DEADLINE)
    assert state(enrollment) == State.AUTHORIZED


def test_e2_after_the_deadline_unpaid_enrollments_lapse_and_paid_ones_stay(tree):
    debited = signed(tree.hutang_union, "赵一")
    failed = signed(tree.hutang_union, "钱二")
    paid = signed(tree.hutang_union, "孙三")
    batch = create_batch(year=2022, actor=None)
    apply_result(content=result_file(batch, {failed.pk: ("1001", "余额不足")}), actor=None)
    late = signed(tree.hutang_union, "李四")  # signed after the batch: never deducted

    result = lapse_unpaid(year=2022, actor=None, today=AFTER)

    assert (result.lapsed, result.at_bank) == (2, 0)
    assert [state(e) for e in (debited, failed, paid, late)] == [
        State.PAID,
        State.LAPSED,
        State.PAID,
        State.LAPSED,
    ]
    change = failed.changes.get(to_state=State.LAPSED)
    assert "2021-12-31" in change.reason
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_LAPSE)
    assert event.data == {"year": 2022, "lapsed": 2, "at_bank": 0}


def test_e2_an_enrollment_still_at_the_bank_waits_for_its_answer(tree):
    enrollment = signed(tree.hutang_union)
    create_batch(year=2022, actor=None)
    result = lapse_unpaid(year=2022, actor=None, today=AFTER)
    assert (result.lapsed, result.at_bank) == (0, 1)
    assert state(enrollment) == State.AUTHORIZED


def test_e2_a_dry_run_counts_and_changes_nothing_and_a_second_run_finds_nothing(tree):
    enrollment = signed(tree.hutang_union)
    assert lapse_unpaid(year=2022, actor=None, today=AFTER, dry_run=True).lapsed == 1
    assert state(enrollment) == State.AUTHORIZED
    assert lapse_unpaid(year=2022, actor=None, today=AFTER).lapsed == 1
    assert lapse_unpaid(year=2022, actor=None, today=AFTER).lapsed == 0
    assert state(enrollment) == State.LAPSED
    assert AuditEvent.objects.filter(action=Action.ENROLLMENT_LAPSE).count() == 1


def test_e2_due_years_are_those_past_their_deadline():
    assert due_years(DEADLINE) == [2021]
    assert due_years(AFTER) == [2021, 2022]


def test_e2_the_lapse_command_lapses_the_due_years(tree):
    enrollment = signed(tree.hutang_union)
    out = io.StringIO()
    call_command("enrollment", "lapse", "--due", "--json", stdout=out)
    rows = {row["year"]: row for row in json.loads(out.getvalue())}
    assert rows[2022]["lapsed"] == 1 and rows[2022]["deadline"] == "2021-12-31"
    assert state(enrollment) == State.LAPSED


@pytest.mark.parametrize("year", ["abc", "1e400", "2031"])
def test_e2_the_lapse_command_refuses_a_bad_year_with_exit_2(tree, year):
    with pytest.raises(CommandError) as caught:
        call_command("enrollment", "lapse", "--year", year, stdout=io.StringIO())
    assert caught.value.returncode == 2


def test_e2_an_enrollment_paid_after_the_count_is_left_paid_not_an_error(tree, monkeypatch):
    from huzhu.enrollment import services as enrollment_services
    from huzhu.payments import lapse

    stays = signed(tree.hutang_union, "赵一")
    paid_meanwhile = signed(tree.hutang_union, "钱二")
    listed = lapse.unpaid

    def unpaid_then_paid(year):
        # The first call lists both; a payment lands before the lapse takes its locks.
        if not getattr(unpaid_then_paid, "called", False):
            unpaid_then_paid.called = True
            found = list(listed(year).values_list("pk", flat=True))
            enrollment_services.mark_paid(enrollment=paid_meanwhile, actor=None)
            return listed(year).model.objects.filter(pk__in=found)
        return listed(year)

    monkeypatch.setattr(lapse, "unpaid", unpaid_then_paid)
    result = lapse_unpaid(year=2022, actor=None, today=AFTER)
    assert result.lapsed == 1
    assert (state(stays), state(paid_meanwhile)) == (State.LAPSED, State.PAID)
