"""How points are written on pages: the same rounding everywhere."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat

from crm.scoring import Rule, name_for_reader, summary_rule_name, tidy

register = template.Library()


@register.filter
def signed_points(value: float | int | None) -> str:
    """+25.6, +25, −3.5 or 0: one decimal at most, a sign for gains and losses
    (the minus sign, not a hyphen)."""
    number = tidy(float(value or 0))
    if number == 0:
        return "0"
    text = floatformat(abs(number), -1)
    return ("+" if number > 0 else "\u2212") + text


@register.filter
def points(value: float | int | None) -> str:
    """A total as the timeline and the breakdown both write it: 25.6, 25, −3."""
    number = tidy(float(value or 0))
    return ("\u2212" if number < 0 else "") + str(floatformat(abs(number), -1))


@register.filter
def rule_name(rule: Rule | dict[str, object]) -> str:
    """A rule's name in the reader's language: of a rule, or of a line of an
    explanation kept with a handoff."""
    if isinstance(rule, dict):
        return summary_rule_name(rule)
    return name_for_reader(rule.name_ja, rule.name_en) or rule.name
