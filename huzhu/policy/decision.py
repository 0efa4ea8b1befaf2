"""What the calculator decides (SPEC §8): typed values, no formatting.

A `Decision` holds Decimals and codes; the words of its explanation are already written in
the active language. The front doors (the API, `huzhu calc`, the calculator pages) turn it
into SPEC §10's JSON with one function, `huzhu.calcfront.answers.answer_json`. A claim's
review can keep a Decision with the policy version it was decided under
(`policy_version_id`, the id of the `PolicyVersion` row, which is never changed).
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class StayDecision:
    """One hospital stay: its counted out-of-pocket (to the fen) and the rule that counted
    it (a code of `codes.STAY_RULES`)."""

    counted: Decimal
    rule: str


@dataclass(frozen=True, slots=True)
class Decision:
    benefit: str  # codes.BENEFITS
    decision: str  # codes.DECISIONS
    amount: Decimal  # payable now
    entitlement: Decimal  # for the year (or the coverage period)
    already_paid: Decimal
    reasons: tuple[str, ...]  # codes.ALL_REASONS, in the order they were found
    explanation: tuple[str, ...]  # one line each, in the active language
    # The PolicyVersion row the rules came from; None when no stored version was used (a
    # year without a policy, or a policy read straight from its file).
    policy_version_id: int | None
    # Hospitalization only: the year's counted out-of-pocket and each stay.
    counted_self_pay: Decimal | None = None
    stays: tuple[StayDecision, ...] | None = None
