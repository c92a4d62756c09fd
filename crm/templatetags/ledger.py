"""The question ledger on the lead page and the handoff page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from crm.ledger import ledger_of
from crm.models import Answer

register = template.Library()


@register.inclusion_tag("crm/_ledger.html")
def question_ledger(answers: Iterable[Answer], *, empty: str = "") -> dict[str, Any]:
    """What the customer already told us (latest first, with source and time)
    and the standard questions still to ask. `answers`: the lead's, with
    recorded_by selected."""
    return {"ledger": ledger_of(answers), "empty": empty}
