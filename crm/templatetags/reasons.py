"""Why a lead changed stage, in the reader's language."""

from __future__ import annotations

from django import template

from audit.display import reason_text

register = template.Library()


@register.filter
def stage_reason(code: str) -> str:
    """A stage change's reason code ("accepted", "rejected: bad_timing") as words."""
    return reason_text(code) if code else ""
