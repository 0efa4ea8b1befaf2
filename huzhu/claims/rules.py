"""The rules of a claim that need no database (SPEC B0, C1–C3, C6): which changes of state
are allowed, which documents each benefit needs, when a second approver is needed, who may
not approve, and the reviewer's signals."""

import datetime
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from huzhu.claims.models import ClaimState, DocumentKind
from huzhu.tabular import CONTROL

S = ClaimState

# SPEC C2; the second approval (C3) sits between the first approval and `approved`.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset(
        {S.RETURNED, S.REJECTED, S.NEEDS_SETTLEMENT, S.APPROVED, S.AWAITING_SECOND}
    ),
    S.RETURNED: frozenset({S.SUBMITTED}),
    S.NEEDS_SETTLEMENT: frozenset({S.SUBMITTED}),
    S.AWAITING_SECOND: frozenset({S.APPROVED, S.IN_REVIEW}),
    S.APPROVED: frozenset({S.PAID}),
    S.PAID: frozenset({S.RECOVERED}),
    S.REJECTED: frozenset(),
    S.RECOVERED: frozenset(),
}
# Claims whose amount is granted in the benefit ledger, and the states still before a
# decision (the member may add to them; they count toward nothing yet).
GRANTED = frozenset({S.AWAITING_SECOND, S.APPROVED, S.PAID, S.RECOVERED})
OPEN = frozenset({S.SUBMITTED, S.IN_REVIEW, S.RETURNED, S.NEEDS_SETTLEMENT})
# The member may add information and documents and send the claim back.
MEMBER_MAY_RESEND = frozenset({S.RETURNED, S.NEEDS_SETTLEMENT})

# SPEC C3: payable amounts from this one up need a second approver at the district.
SECOND_APPROVAL_FROM = Decimal(5000)
# SPEC C6: an event this many days or fewer after the member first signed for the year.
SOON_AFTER_SIGNING_DAYS = 90

COMMON_DOCUMENTS = (DocumentKind.ID_CARD, DocumentKind.UNION_CARD)
BENEFIT_DOCUMENTS = {
    "hospitalization": (DocumentKind.INVOICE, DocumentKind.SETTLEMENT, DocumentKind.DISCHARGE),
    "critical_illness": (
        DocumentKind.DIAGNOSIS,
        DocumentKind.PATHOLOGY,
        DocumentKind.MEDICAL_RECORD,
    ),
    "work_injury": (DocumentKind.APPRAISAL, DocumentKind.INJURY_DETERMINATION),
}


class ClaimError(Exception):
    """A claim change refused; `message` says why in the active language, `field` names
    the answer or document it is about when there is one."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def state_label(state: str) -> str:
    return str(ClaimState(state).label) if state in ClaimState.values else state


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise ClaimError(
            "transition",
            _("A claim that is “%(current)s” cannot become “%(new)s”.")
            % {"current": state_label(current), "new": state_label(new)},
        )


def required_documents(benefit: str) -> tuple[str, ...]:
    return (*COMMON_DOCUMENTS, *BENEFIT_DOCUMENTS.get(benefit, ()))


def missing_documents(benefit: str, kinds: Iterable[str]) -> list[str]:
    have = set(kinds)
    return [kind for kind in required_documents(benefit) if kind not in have]


def needs_second_approval(amount: Decimal) -> bool:
    return amount >= SECOND_APPROVAL_FROM


def check_approver(*, approver_id: int, submitted_by_id: int | None, first_id: int | None = None):
    """SPEC C3: nobody approves their own submission; the second approver is neither the
    submitter nor the first approver."""
    if submitted_by_id is not None and approver_id == submitted_by_id:
        raise ClaimError(
            "own_submission", _("You submitted this claim: another person must approve it.")
        )
    if first_id is not None and approver_id == first_id:
        raise ClaimError(
            "same_approver",
            _("You approved this claim first: the second approval must be another person's."),
        )


def event_day(facts: dict) -> datetime.date:
    """The day of the claim's event (SPEC B0): the first stay's admission, the diagnosis,
    the injury. `facts` has passed the calculator's parser."""
    benefit = facts["benefit"]
    if benefit == "hospitalization":
        return min(datetime.date.fromisoformat(e["admitted_on"]) for e in facts["episodes"])
    key = "diagnosed_on" if benefit == "critical_illness" else "injured_on"
    return datetime.date.fromisoformat(facts[key])


# --- reviewer signals (SPEC C6) -------------------------------------------------------------


def invoice_number(text: str) -> str:
    """An invoice number as it is kept and compared (C6): full-width letters and digits
    folded to their plain forms, letters upper-cased, blanks and invisible characters left
    out, so that "fp 2022 0310" and "ＦＰ２０２２０３１０" are the same number as "FP20220310"."""
    folded = unicodedata.normalize("NFKC", CONTROL.sub("", text or "")).upper()
    return "".join(folded.split())


def stay_text(text: str) -> str:
    """A hospital's name as it is kept: one line, without the invisible characters that
    hide or reorder text (a direction override would show a reviewer another name)."""
    return " ".join(CONTROL.sub("", text or "").split())


@dataclass(frozen=True)
class Signal:
    code: str
    text: str


@dataclass(frozen=True)
class StayDates:
    claim_id: int
    admitted_on: datetime.date
    discharged_on: datetime.date | None


def overlaps(a: StayDates, b: StayDates) -> bool:
    """Two stays overlap when each begins before the other ends; a stay without a
    discharge day is taken as the day of its admission."""
    a_end = a.discharged_on or a.admitted_on
    b_end = b.discharged_on or b.admitted_on
    return a.admitted_on <= b_end and b.admitted_on <= a_end


def signals(
    *,
    duplicate_invoices: Sequence[tuple[str, int]],
    first_signed_on: datetime.date | None,
    event_on: datetime.date,
    stays: Sequence[StayDates],
    other_stays: Sequence[StayDates],
    coverage_start: datetime.date | None,
) -> list[Signal]:
    """The signals of one claim from what the database found about it. Never a refusal."""
    found = []
    if duplicate_invoices:
        listed = "、".join(f"{number}（#{claim}）" for number, claim in duplicate_invoices[:5])
        found.append(
            Signal(
                "duplicate_invoice",
                _("Invoice number also claimed in: %(claims)s") % {"claims": listed},
            )
        )
    if (
        first_signed_on is not None
        and 0 <= (event_on - first_signed_on).days <= SOON_AFTER_SIGNING_DAYS
    ):
        found.append(
            Signal(
                "soon_after_signing",
                _("The event is %(days)s days after the member signed for the year.")
                % {"days": (event_on - first_signed_on).days},
            )
        )
    clashes = sorted(
        {other.claim_id for stay in stays for other in other_stays if overlaps(stay, other)}
    )
    inner = any(overlaps(s, t) for i, s in enumerate(stays) for t in stays[i + 1 :])
    if clashes or inner:
        where = "、".join(f"#{pk}" for pk in clashes) if clashes else _("this claim")
        found.append(
            Signal("overlapping_stays", _("Stays overlap with: %(claims)s") % {"claims": where})
        )
    if coverage_start is not None and any(s.admitted_on < coverage_start for s in stays):
        found.append(
            Signal(
                "before_coverage",
                _("A stay began before the coverage period (%(start)s).")
                % {"start": coverage_start.isoformat()},
            )
        )
    return found
