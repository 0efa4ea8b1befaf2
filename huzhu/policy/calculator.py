"""The benefit calculator (SPEC §8, §10): what a member is owed, and why, in plain words.

No database and no request in here. `calculate_payload(payload, policies)` takes the JSON
of §10 (one object or an array), with `policies` mapping a year to its `Policy`, and
returns the JSON answer or raises
`CalculatorInputError` whose `errors` are `{"index", "field", "message"}` dicts. For long
batches, `parse_all` checks every case first and `calculate_many` then yields the answers
without holding them all.
"""

import functools
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal

from django.utils import translation

from huzhu.money import format_yuan, to_fen
from huzhu.policy.cases import Case, CaseError, Episode, parse_case
from huzhu.policy.document import Policy, percent

ZERO = Decimal(0)
ZERO_TEXT = "0.00"
ACCIDENT_CAUSES = ("accident", "traffic_accident")
LEVEL_RANK = {"county": 0, "city": 1, "province": 2}
# msgids, translated when a line is written
LEVEL_NAMES = {"county": "County level", "city": "City level", "province": "Province level"}


class _Words(dict):
    """Translated sentences of one language, fetched from the catalog on first use."""

    def __missing__(self, msgid: str) -> str:
        text = self[msgid] = translation.gettext(msgid)
        return text


@functools.lru_cache(maxsize=16)
def _words_for(language: str | None) -> _Words:
    return _Words()


# Django's gettext resolves the active language through a context-local on every call,
# which at tens of thousands of cases a second is most of the work; a batch looks its
# language up once and keeps the sentences here.
_batch_words: ContextVar[_Words | None] = ContextVar("calculator_words", default=None)


def _(msgid: str) -> str:
    words = _batch_words.get()
    return words[msgid] if words is not None else translation.gettext(msgid)


class CalculatorInputError(ValueError):
    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"[{e['index']}] {e['field']}: {e['message']}" for e in errors))
        self.errors = errors


yuan = format_yuan


def _result(
    case: Case,
    entitlement: Decimal,
    reasons: list[str],
    lines: list[str],
    pending: bool = False,
    stays: dict | None = None,
) -> dict:
    """The common tail of every benefit: B-H4 / B-W2 / B-C3, what is payable now."""
    amount = max(ZERO, entitlement - case.already_paid)
    amount_text, paid_text = yuan(amount), yuan(case.already_paid)
    if entitlement > 0 and case.already_paid > 0:
        lines.append(_("Already paid for this: %(paid)s yuan.") % {"paid": paid_text})
        if amount == 0:
            reasons.append("already_paid")
    if amount > 0:
        decision = "approved"
        lines.append(_("Payable now: %(amount)s yuan.") % {"amount": amount_text})
    elif pending:
        decision = "needs_settlement"
    else:
        decision = "rejected"
        lines.append(_("Nothing is payable."))
    result = {
        "benefit": case.benefit,
        "decision": decision,
        "amount": amount_text,
        "entitlement": yuan(entitlement),
        "already_paid": paid_text,
    }
    if stays is not None:
        result["counted_self_pay"] = stays["counted_self_pay"]
    result["reasons"] = reasons
    if stays is not None:
        result["episodes"] = stays["episodes"]
    result["explanation"] = lines
    return result


def _no_policy(case: Case) -> dict:
    stays = (
        {"counted_self_pay": yuan(ZERO), "episodes": []}
        if case.benefit == "hospitalization"
        else None
    )
    return _result(
        case,
        ZERO,
        ["no_policy_for_year"],
        [
            _("The %(year)s scheme year has no benefit rules, so nothing can be calculated.")
            % {"year": case.year}
        ],
        stays=stays,
    )


def _check_exclusions(codes: tuple[str, ...], allowed: Mapping[str, str], field: str) -> None:
    for code in codes:
        if code not in allowed:
            raise CaseError(field, _("unknown exclusion code “%(code)s”.") % {"code": code})


def calculate(case: Case, policy: Policy | None) -> dict:
    """One case's answer; `case` has passed `parse_case` and `check_codes`."""
    if policy is None or not policy.has_benefits:
        return _no_policy(case)
    if case.benefit == "hospitalization":
        return _hospitalization(case, policy)
    if case.benefit == "critical_illness":
        return _critical_illness(case, policy)
    return _work_injury(case, policy)


# --- hospitalization (B-H1 … B-H4) ----------------------------------------------------


def _episode(
    policy: Policy, episode: Episode, number: int, reasons: list[str], lines: list[str]
) -> tuple[Decimal, str, str]:
    """Counted out-of-pocket of one stay, as a number and as text, and the rule that
    counted it (B-H1, B-H2, B-X1); the stay's line of explanation goes to `lines`."""
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
        return ZERO, ZERO_TEXT, "outside_coverage_period"
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
        return ZERO, ZERO_TEXT, "excluded"
    if episode.cause == "work_injury":
        reasons.append("work_injury_stay")
        lines.append(
            _("%(stay)s: caused by a work injury, which has its own benefit; it counts 0.")
            % {"stay": label}
        )
        return ZERO, ZERO_TEXT, "work_injury_stay"
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
        return ZERO, ZERO_TEXT, "needs_settlement"
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
    counted_text = str(counted)
    lines.append(
        _("%(stay)s: %(parts)s; counted %(counted)s yuan.")
        % {"stay": label, "parts": "; ".join(parts), "counted": counted_text}
    )
    return counted, counted_text, rule


def _hospitalization(case: Case, policy: Policy) -> dict:
    rules = policy.hospitalization
    assert rules is not None
    reasons: list[str] = []
    lines: list[str] = []
    episodes = []
    total = ZERO
    for number, episode in enumerate(case.episodes, start=1):
        counted, counted_text, rule = _episode(policy, episode, number, reasons, lines)
        total += counted
        episodes.append({"counted": counted_text, "rule": rule})
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
    return _result(
        case,
        entitlement,
        reasons,
        lines,
        pending="needs_settlement" in reasons,
        stays={"counted_self_pay": total_text, "episodes": episodes},
    )


def _exclusions(
    codes: tuple[str, ...], labels: Mapping[str, str], reasons: list[str], lines: list[str]
) -> None:
    """B-X1 / B-X2 found by the reviewer: each code is a reason and a line."""
    for code in codes:
        if code not in reasons:
            reasons.append(code)
        lines.append(_("Not covered: %(label)s.") % {"label": labels[code]})


# --- critical illness (B-C1 … B-C3, B-X2) ---------------------------------------------


def _critical_illness(case: Case, policy: Policy) -> dict:
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
    _exclusions(case.exclusions, policy.critical_illness_exclusions, reasons, lines)
    entitlement = ZERO if reasons else rules.amount
    if not reasons:
        lines.append(
            _(
                "A first diagnosis within the coverage period: %(amount)s yuan, once "
                "per coverage period."
            )
            % {"amount": yuan(rules.amount)}
        )
    return _result(case, entitlement, reasons, lines)


# --- work injury (B-W1, B-W2, B-X1) ---------------------------------------------------


def _work_injury(case: Case, policy: Policy) -> dict:
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
    if LEVEL_RANK[case.certificate_level] < LEVEL_RANK[rules.min_certificate_level]:
        reasons.append("certificate_level")
        lines.append(
            _(
                "The appraisal must come from a labour-capacity appraisal committee at "
                "%(minimum)s or above; a certificate at %(level)s is not accepted."
            )
            % {
                "minimum": _(LEVEL_NAMES[rules.min_certificate_level]),
                "level": _(LEVEL_NAMES[case.certificate_level]),
            }
        )
    _exclusions(case.exclusions, policy.general_exclusions, reasons, lines)
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
    return _result(case, entitlement, reasons, lines)


# --- the JSON front ---------------------------------------------------------------------

CHUNK = 1000


def check_codes(case: Case, policy: Policy | None) -> None:
    """Exclusion codes must be the policy's own for the benefit (raises CaseError)."""
    if policy is None or not policy.has_benefits:
        return
    if case.benefit == "hospitalization":
        for index, episode in enumerate(case.episodes):
            if episode.exclusions:
                _check_exclusions(
                    episode.exclusions, policy.general_exclusions, f"episodes[{index}].exclusions"
                )
    elif case.exclusions:
        allowed = (
            policy.critical_illness_exclusions
            if case.benefit == "critical_illness"
            else policy.general_exclusions
        )
        _check_exclusions(case.exclusions, allowed, "exclusions")


def parse_all(items: list, policies: Mapping[int, Policy]) -> list[Case]:
    """Every case parsed and checked before anything is calculated, so bad input is
    reported whole and nothing half-done leaves (raises CalculatorInputError)."""
    cases, errors = [], []
    for index, data in enumerate(items):
        try:
            case = parse_case(data)
            check_codes(case, policies.get(case.year))
            cases.append(case)
        except CaseError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
    if errors:
        raise CalculatorInputError(errors)
    return cases


def calculate_many(cases: list[Case], policies: Mapping[int, Policy]) -> Iterator[dict]:
    """Results one by one, computed a chunk at a time: a long batch is never held whole."""
    language = translation.get_language()
    for start in range(0, len(cases), CHUNK):
        token = _batch_words.set(_words_for(language))
        try:
            chunk = [
                calculate(case, policies.get(case.year)) for case in cases[start : start + CHUNK]
            ]
        finally:
            _batch_words.reset(token)
        yield from chunk


def calculate_payload(payload, policies: Mapping[int, Policy]) -> dict | list:
    """SPEC §10: one case object or an array of them; answers in the same shape."""
    single = not isinstance(payload, list)
    results = list(calculate_many(parse_all([payload] if single else payload, policies), policies))
    return results[0] if single else results
