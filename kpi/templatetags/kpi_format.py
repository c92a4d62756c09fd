"""How KPI values read on the page: units, and "—" where there is nothing to show
(the formatting itself lives in kpi.display, which the dashboard calls once
per request; these filters serve the smaller pages)."""

from __future__ import annotations

from typing import Any

from django import template

from kpi.display import signed_text, value_text

register = template.Library()


@register.filter
def kpi_value(value: Any, unit: str) -> str:
    return value_text(value, unit)


@register.filter
def signed(value: Any, unit: str) -> str:
    """A gap with its sign."""
    return signed_text(value, unit)
