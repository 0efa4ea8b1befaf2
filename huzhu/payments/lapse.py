"""SPEC E2: an enrollment still unpaid after the policy's payment deadline lapses. An
operator schedules `huzhu enrollment lapse --due` daily; it is safe to run any number of
times. An enrollment whose deduction is still at the bank is left for the next run: the
bank's answer decides it first (a debit makes it paid)."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.dates import scheme_today
from huzhu.enrollment.models import Enrollment, State
from huzhu.enrollment.services import mark_lapsed_many
from huzhu.org.services import district
from huzhu.payments.models import DeductionItem, Outcome
from huzhu.policy.selectors import current_policies

CHUNK = 5000


class LapseError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Lapsed:
    year: int
    deadline: datetime.date
    lapsed: int
    at_bank: int


def unpaid(year: int):
    return Enrollment.objects.filter(year=year, state__in=[State.AUTHORIZED, State.FAILED])


def lapse_unpaid(
    *, year: int, actor: Actor, today: datetime.date | None = None, dry_run: bool = False
) -> Lapsed:
    policy = current_policies().get(year)
    if policy is None:
        raise LapseError(_("There is no policy for %(year)s.") % {"year": year})
    deadline = policy.payment_deadline
    today = today or scheme_today()
    if today <= deadline:
        raise LapseError(
            _(
                "The payment deadline of %(year)s is %(deadline)s: "
                "unpaid enrollments lapse after it."
            )
            % {"year": year, "deadline": formats.date_format(deadline, "Y-m-d")}
        )
    pending = DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome=Outcome.PENDING)
    found = unpaid(year).annotate(at_bank=Exists(pending))
    at_bank = found.filter(at_bank=True).count()
    ids = list(found.filter(at_bank=False).order_by("pk").values_list("pk", flat=True))
    if dry_run or not ids:
        return Lapsed(year=year, deadline=deadline, lapsed=len(ids), at_bank=at_bank)
    reason = _("Unpaid after the payment deadline %(deadline)s") % {
        "deadline": formats.date_format(deadline, "Y-m-d")
    }
    lapsed = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            # Chosen again under the rows' locks: one paid or revoked since the count above
            # is left as it is, not an error.
            lapsed += mark_lapsed_many(
                enrollment_ids=unpaid(year).filter(pk__in=ids[start : start + CHUNK]),
                actor=actor,
                reason=reason,
            )
        record_event(
            action=Action.ENROLLMENT_LAPSE,
            actor=actor,
            unit_path=district().path,
            summary=_("%(year)s: %(n)s unpaid enrollments lapsed") % {"year": year, "n": lapsed},
            data={"year": year, "lapsed": lapsed, "at_bank": at_bank},
        )
    return Lapsed(year=year, deadline=deadline, lapsed=lapsed, at_bank=at_bank)


def due_years(today: datetime.date | None = None) -> list[int]:
    """The years whose payment deadline has passed."""
    today = today or scheme_today()
    return sorted(
        year for year, policy in current_policies().items() if policy.payment_deadline < today
    )
