from django import template

from huzhu.enrollment.rules import state_label as _state_label

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    """An enrollment state's Chinese name, for rows that hold the code (state changes)."""
    return _state_label(state)
