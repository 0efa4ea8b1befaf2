"""The benefit calculator (SPEC §8, §10): what a member is owed, and why, in plain words.

No database, no request and no JSON formatting in here. `parse_all(items, policies)` checks
every case of the §10 input first (raising `CalculatorInputError`, whose `errors` are
`{"index", "field", "message"}` dicts); `decide(case, policy)` gives one case's typed
`Decision` and `decide_many` yields them for a long batch without holding them all. The
rules of each benefit are in `huzhu/policy/benefits/`; the front doors turn a Decision into
§10's JSON (`huzhu.calcfront.answers`).
"""

from collections.abc import Iterator, Mapping

from django.utils import translation

from huzhu.policy.benefits import critical_illness, hospitalization, work_injury
from huzhu.policy.benefits.common import batch_words, no_policy, words_for
from huzhu.policy.cases import Case, CaseError, parse_case
from huzhu.policy.decision import Decision
from huzhu.policy.document import Policy

CHUNK = 1000
_RULES = {
    "hospitalization": hospitalization.decide,
    "critical_illness": critical_illness.decide,
    "work_injury": work_injury.decide,
}


class CalculatorInputError(ValueError):
    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"[{e['index']}] {e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def decide(case: Case, policy: Policy | None) -> Decision:
    """One case's decision; `case` has passed `parse_case` and `check_codes`."""
    if policy is None or not policy.has_benefits:
        return no_policy(case, policy)
    return _RULES[case.benefit](case, policy)


def _check_exclusions(codes: tuple[str, ...], allowed: Mapping[str, str], field: str) -> None:
    for code in codes:
        if code not in allowed:
            raise CaseError(
                field, translation.gettext("unknown exclusion code “%(code)s”.") % {"code": code}
            )


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


def decide_many(cases: list[Case], policies: Mapping[int, Policy]) -> Iterator[Decision]:
    """Decisions one by one, computed a chunk at a time: a long batch is never held whole."""
    language = translation.get_language()
    for start in range(0, len(cases), CHUNK):
        token = batch_words.set(words_for(language))
        try:
            chunk = [decide(case, policies.get(case.year)) for case in cases[start : start + CHUNK]]
        finally:
            batch_words.reset(token)
        yield from chunk
