"""What every benefit's rule shares: the words of the explanation and the common tail
(B-H4, B-C3, B-W2: what is payable now)."""

import functools
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal

from django.utils import translation

from huzhu.money import format_yuan
from huzhu.policy.cases import Case
from huzhu.policy.decision import Decision, StayDecision
from huzhu.policy.document import Policy

ZERO = Decimal(0)
ZERO_FEN = Decimal("0.00")
yuan = format_yuan


class _Words(dict[str, str]):
    """Translated sentences of one language, fetched from the catalog on first use."""

    def __missing__(self, msgid: str) -> str:
        text = self[msgid] = translation.gettext(msgid)
        return text


@functools.lru_cache(maxsize=16)
def words_for(language: str | None) -> _Words:
    return _Words()


# Django's gettext resolves the active language through a context-local on every call,
# which at tens of thousands of cases a second is most of the work; a batch looks its
# language up once and keeps the sentences here.
batch_words: ContextVar[_Words | None] = ContextVar("calculator_words", default=None)


def _(msgid: str) -> str:
    words = batch_words.get()
    return words[msgid] if words is not None else translation.gettext(msgid)


def decided(
    case: Case,
    policy: Policy | None,
    entitlement: Decimal,
    reasons: list[str],
    lines: list[str],
    pending: bool = False,
    counted_self_pay: Decimal | None = None,
    stays: tuple[StayDecision, ...] | None = None,
) -> Decision:
    """The common tail of every benefit: B-H4 / B-W2 / B-C3, what is payable now."""
    paid = case.already_paid
    amount = max(ZERO, entitlement - paid)
    if entitlement > 0 and paid > 0:
        lines.append(_("Already paid for this: %(paid)s yuan.") % {"paid": yuan(paid)})
        if amount == 0:
            reasons.append("already_paid")
    if amount > 0:
        decision = "approved"
        lines.append(_("Payable now: %(amount)s yuan.") % {"amount": yuan(amount)})
    elif pending:
        decision = "needs_settlement"
    else:
        decision = "rejected"
        lines.append(_("Nothing is payable."))
    return Decision(
        case.benefit,
        decision,
        amount,
        entitlement,
        paid,
        tuple(reasons),
        tuple(lines),
        policy.version_id if policy is not None else None,
        counted_self_pay,
        stays,
    )


def no_policy(case: Case, policy: Policy | None) -> Decision:
    hospitalization = case.benefit == "hospitalization"
    return decided(
        case,
        policy,
        ZERO,
        ["no_policy_for_year"],
        [
            _("The %(year)s scheme year has no benefit rules, so nothing can be calculated.")
            % {"year": case.year}
        ],
        counted_self_pay=ZERO if hospitalization else None,
        stays=() if hospitalization else None,
    )


def exclusions(
    codes: tuple[str, ...], labels: Mapping[str, str], reasons: list[str], lines: list[str]
) -> None:
    """B-X1 / B-X2 found by the reviewer: each code is a reason and a line."""
    for code in codes:
        if code not in reasons:
            reasons.append(code)
        lines.append(_("Not covered: %(label)s.") % {"label": labels[code]})
