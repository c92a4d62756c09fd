"""A lead table's rows, built in Python (crm/lead_table.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django import template
from django.utils.safestring import SafeString

from crm import lead_table
from crm.models import Lead

register = template.Library()


@register.simple_tag
def lead_rows(
    leads: Iterable[Lead], columns: Sequence[str] | None = None, bulk_form_id: str = ""
) -> SafeString:
    """Every row of the table at once (crm.lead_table.rows); `columns` not
    given by the page (it resolves to "") shows every column."""
    chosen = None if columns is None or isinstance(columns, str) else columns
    return lead_table.rows(leads, columns=chosen, bulk_form_id=bulk_form_id or "")
