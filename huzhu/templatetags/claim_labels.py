"""`{{ claim.benefit|benefit_label }}` and `{{ claim.state|claim_state }}`: a claim's codes
in words."""

from django import template

from huzhu.claims.rules import state_label
from huzhu.policy.codes import BENEFIT_LABELS

register = template.Library()


@register.filter
def benefit_label(code: str) -> str:
    return str(BENEFIT_LABELS.get(code, code))


register.filter("claim_state", state_label)
