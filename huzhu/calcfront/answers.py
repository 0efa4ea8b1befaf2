"""SPEC §10's answer: a `Decision` as JSON, the one formatting the front doors share."""

from collections.abc import Iterator, Mapping

from huzhu.money import format_yuan
from huzhu.policy.calculator import decide_many, parse_all
from huzhu.policy.decision import Decision
from huzhu.policy.document import Policy


def answer_json(decision: Decision) -> dict:
    """The §10 result object, its keys in the contract's order; amounts as "0.00" text."""
    result: dict = {
        "benefit": decision.benefit,
        "decision": decision.decision,
        "amount": format_yuan(decision.amount),
        "entitlement": format_yuan(decision.entitlement),
        "already_paid": format_yuan(decision.already_paid),
    }
    stays = decision.stays
    if stays is not None:
        assert decision.counted_self_pay is not None
        result["counted_self_pay"] = format_yuan(decision.counted_self_pay)
        result["reasons"] = list(decision.reasons)
        # A stay's amount is already to the fen: str() is its two places.
        result["episodes"] = [{"counted": str(s.counted), "rule": s.rule} for s in stays]
    else:
        result["reasons"] = list(decision.reasons)
    result["explanation"] = list(decision.explanation)
    return result


def calculate_many(cases: list, policies: Mapping[int, Policy]) -> Iterator[dict]:
    """The answers of parsed cases one by one (`huzhu calc` writes each as it comes)."""
    return map(answer_json, decide_many(cases, policies))


def calculate_payload(payload, policies: Mapping[int, Policy]) -> dict | list:
    """SPEC §10: one case object or an array of them; answers in the same shape. Raises
    CalculatorInputError, nothing calculated, when any case is wrong."""
    single = not isinstance(payload, list)
    results = list(calculate_many(parse_all([payload] if single else payload, policies), policies))
    return results[0] if single else results
