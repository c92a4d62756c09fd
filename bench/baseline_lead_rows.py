"""The lead table's per-row template filters as main had them before the rows
were built in Python (crm/lead_table.py): bench_pages renders main's
templates with them, as the same-run baseline."""

from __future__ import annotations

from django import template
from django.utils import translation

from crm import lead_table
from crm.models import Lead
from web import links

register = template.Library()


@register.filter
def stage_label(stage: str) -> str:
    return lead_table.stage_labels(translation.get_language()).get(stage, stage)


@register.filter
def lead_url(lead: Lead) -> str:
    return links.pk_url("crm:lead_detail", lead.pk)
