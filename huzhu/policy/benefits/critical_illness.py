"""Critical-illness subsidy (B-C1 … B-C3, B-X2)."""

from huzhu.policy.benefits.common import ZERO, _, decided, exclusions, yuan
from huzhu.policy.cases import Case
from huzhu.policy.decision import Decision
from huzhu.policy.document import Policy


def decide(case: Case, policy: Policy) -> Decision:
    rules = policy.critical_illness
    assert rules is not None and case.first_diagnosed_on is not None
    reasons: list[str] = []
    lines: list[str] = []
    illness = rules.find(case.illness)
    if illness is None:
        reasons.append("not_listed_illness")
        lines.append(
            _("“%(name)s” is not one of the %(count)s listed critical illnesses.")
            % {"name": case.illness, "count": len(rules.illnesses)}
        )
    else:
        lines.append(_("“%(name)s” is a listed critical illness.") % {"name": illness.name})
    first = case.first_diagnosed_on
    if case.diagnosed_on is not None and first > case.diagnosed_on:
        # Contradicting dates: nothing can be said of the coverage period until they are
        # put right; the other conditions are still checked, so every fault shows at once.
        reasons.append("first_diagnosis_after_diagnosis")
        lines.append(
            _(
                "The first diagnosis (%(first)s) cannot be later than this diagnosis "
                "(%(diagnosed)s): check both dates and calculate again."
            )
            % {"first": first, "diagnosed": case.diagnosed_on}
        )
    elif first < policy.coverage.start:
        reasons.append("pre_existing")
        lines.append(
            _(
                "It was first diagnosed on %(date)s, before the coverage period began "
                "on %(start)s: an illness that existed before is not covered."
            )
            % {"date": first, "start": policy.coverage.start}
        )
    elif first > policy.coverage.end:
        reasons.append("outside_coverage_period")
        lines.append(
            _("It was first diagnosed on %(date)s, after the coverage period ended.")
            % {"date": first}
        )
    minimum = (
        rules.min_grade_in_changzhou if case.hospital_in_changzhou else rules.min_grade_elsewhere
    )
    if case.hospital_grade < minimum:
        reasons.append("hospital_grade")
        lines.append(
            _(
                "The diagnosis must come from a hospital of grade %(changzhou)s or above in "
                "Changzhou, or of grade %(elsewhere)s or above elsewhere; this hospital does "
                "not qualify."
            )
            % {"changzhou": rules.min_grade_in_changzhou, "elsewhere": rules.min_grade_elsewhere}
        )
    exclusions(case.exclusions, policy.critical_illness_exclusions, reasons, lines)
    entitlement = ZERO if reasons else rules.amount
    if not reasons:
        lines.append(
            _(
                "A first diagnosis within the coverage period: %(amount)s yuan, once "
                "per coverage period."
            )
            % {"amount": yuan(rules.amount)}
        )
    return decided(case, policy, entitlement, reasons, lines)
