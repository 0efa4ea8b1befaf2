"""Hospitalization subsidy (B-H1 … B-H4, B-X1)."""

from decimal import Decimal

from huzhu.money import to_fen
from huzhu.policy.benefits.common import ZERO, ZERO_FEN, _, decided, yuan
from huzhu.policy.cases import Case, Episode
from huzhu.policy.codes import ACCIDENT_CAUSES
from huzhu.policy.decision import Decision, StayDecision
from huzhu.policy.document import Policy, percent


def _stay(
    policy: Policy, episode: Episode, number: int, reasons: list[str], lines: list[str]
) -> StayDecision:
    """Counted out-of-pocket of one stay and the rule that counted it (B-H1, B-H2, B-X1);
    the stay's line of explanation goes to `lines`."""
    rules = policy.hospitalization
    assert rules is not None
    label = _("Stay %(n)s (admitted %(date)s)") % {"n": number, "date": episode.admitted_on}
    if not policy.covers(episode.admitted_on):
        reasons.append("outside_coverage_period")
        lines.append(
            _(
                "%(stay)s: admitted outside the %(start)s–%(end)s coverage period; "
                "it counts toward the year it was admitted in, not this one."
            )
            % {"stay": label, "start": policy.coverage.start, "end": policy.coverage.end}
        )
        return StayDecision(ZERO_FEN, "outside_coverage_period")
    excluded = [
        c
        for c in episode.exclusions
        if not (c == "orthopedic" and episode.cause in ACCIDENT_CAUSES)
    ]
    if excluded:
        reasons.extend(c for c in excluded if c not in reasons)
        names = "、".join(policy.general_exclusions[c] for c in excluded)
        lines.append(
            _("%(stay)s: not covered (%(names)s); it counts 0.") % {"stay": label, "names": names}
        )
        return StayDecision(ZERO_FEN, "excluded")
    if episode.cause == "work_injury":
        reasons.append("work_injury_stay")
        lines.append(
            _("%(stay)s: caused by a work injury, which has its own benefit; it counts 0.")
            % {"stay": label}
        )
        return StayDecision(ZERO_FEN, "work_injury_stay")
    if episode.settlement_pending:
        if "needs_settlement" not in reasons:
            reasons.append("needs_settlement")
        lines.append(
            _(
                "%(stay)s: not yet settled with basic medical insurance. Settle it at "
                "your insurance centre first, then claim again for the top-up."
            )
            % {"stay": label}
        )
        return StayDecision(ZERO_FEN, "needs_settlement")
    counted = episode.settled_self_pay
    parts = []
    rule = "settled"
    if episode.settled_self_pay:
        source = (
            _("the Jiangsu insurance settlement")
            if episode.insurance_scope == "jiangsu"
            else _("the settlement documents provided")
        )
        parts.append(
            _("out-of-pocket %(amount)s yuan from %(source)s")
            % {"amount": yuan(episode.settled_self_pay), "source": source}
        )
    if episode.unsettled_cost:
        share = to_fen(episode.unsettled_cost * rules.unsettled_rate)
        counted += share
        rule = "settled_and_unsettled" if episode.settled_self_pay else "unsettled"
        parts.append(
            _("%(rate)s of %(cost)s yuan that could not be settled = %(share)s yuan")
            % {
                "rate": rules.unsettled_percent,
                "cost": yuan(episode.unsettled_cost),
                "share": yuan(share),
            }
        )
    if episode.traffic_total_cost:
        share = to_fen(episode.traffic_total_cost * episode.liability_ratio * rules.traffic_rate)
        counted += share
        rule = "traffic_accident"
        parts.append(
            _(
                "traffic accident not settled with insurance: %(rate)s of %(cost)s yuan "
                "× your liability share %(ratio)s = %(share)s yuan"
            )
            % {
                "rate": rules.traffic_percent,
                "cost": yuan(episode.traffic_total_cost),
                "ratio": percent(episode.liability_ratio),
                "share": yuan(share),
            }
        )
    counted = to_fen(counted)
    if not parts:
        parts.append(_("no out-of-pocket amount"))
    lines.append(
        _("%(stay)s: %(parts)s; counted %(counted)s yuan.")
        % {"stay": label, "parts": "; ".join(parts), "counted": counted}
    )
    return StayDecision(counted, rule)


def decide(case: Case, policy: Policy) -> Decision:
    rules = policy.hospitalization
    assert rules is not None
    reasons: list[str] = []
    lines: list[str] = []
    stays = []
    total: Decimal = ZERO
    for number, episode in enumerate(case.episodes, start=1):
        stay = _stay(policy, episode, number, reasons, lines)
        total += stay.counted
        stays.append(stay)
    total_text = yuan(total)
    tier = rules.tier_for(total)
    if tier is None:
        entitlement = ZERO
        reasons.append("below_threshold")
        lines.append(
            _(
                "Year's total counted out-of-pocket: %(total)s yuan, below the "
                "%(lower)s yuan needed for a subsidy."
            )
            % {"total": total_text, "lower": rules.tiers[0].lower_text}
        )
    else:
        entitlement = tier.amount
        lines.append(
            _(
                "Year's total counted out-of-pocket: %(total)s yuan, in the tier from "
                "%(lower)s yuan: a subsidy of %(amount)s yuan for the year."
            )
            % {"total": total_text, "lower": tier.lower_text, "amount": tier.amount_text}
        )
    return decided(
        case,
        policy,
        entitlement,
        reasons,
        lines,
        pending="needs_settlement" in reasons,
        counted_self_pay=total,
        stays=tuple(stays),
    )
