"""Work-injury subsidy (B-W1, B-W2, B-X1)."""

from huzhu.policy.benefits.common import ZERO, _, decided, exclusions, yuan
from huzhu.policy.cases import Case
from huzhu.policy.codes import CERTIFICATE_LEVEL_NAMES, CERTIFICATE_RANK
from huzhu.policy.decision import Decision
from huzhu.policy.document import Policy


def decide(case: Case, policy: Policy) -> Decision:
    rules = policy.work_injury
    assert rules is not None and case.injured_on is not None
    reasons: list[str] = []
    lines: list[str] = []
    grade_name = (
        _("death") if case.grade == "death" else _("grade %(grade)s") % {"grade": case.grade}
    )
    if not policy.covers(case.injured_on):
        reasons.append("outside_coverage_period")
        lines.append(
            _("The injury on %(date)s happened outside the %(start)s–%(end)s coverage period.")
            % {"date": case.injured_on, "start": policy.coverage.start, "end": policy.coverage.end}
        )
    if CERTIFICATE_RANK[case.certificate_level] < CERTIFICATE_RANK[rules.min_certificate_level]:
        reasons.append("certificate_level")
        lines.append(
            _(
                "The appraisal must come from a labour-capacity appraisal committee at "
                "%(minimum)s or above; a certificate at %(level)s is not accepted."
            )
            % {
                "minimum": _(CERTIFICATE_LEVEL_NAMES[rules.min_certificate_level]),
                "level": _(CERTIFICATE_LEVEL_NAMES[case.certificate_level]),
            }
        )
    exclusions(case.exclusions, policy.general_exclusions, reasons, lines)
    amount = rules.amounts[case.grade]
    entitlement = ZERO if reasons else amount
    if not reasons:
        lines.append(
            _(
                "Work injury, %(grade)s: %(amount)s yuan; a later appraisal to a more "
                "severe grade pays the difference."
            )
            % {"grade": grade_name, "amount": yuan(amount)}
        )
    return decided(case, policy, entitlement, reasons, lines)
