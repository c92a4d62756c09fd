"""The lead page's parts about captures: proposed changes waiting for a
decision, a confirmation waiting for the person, the first and latest touch."""

from __future__ import annotations

from typing import Any

from django import template

from crm.models import Lead, ProposedChange, Touch

register = template.Library()


@register.inclusion_tag("crm/_proposed_changes.html", takes_context=True)
def proposed_changes(context: template.Context, lead: Lead) -> dict[str, Any]:
    """What captures proposed for fields the lead already has; the buttons
    only for those who may change the lead (crm/proposals.py)."""
    user = context["request"].user
    changes = list(lead.proposed_changes.open().select_related("campaign"))
    current = {
        ProposedChange.Field.FAMILY_NAME: lead.family_name,
        ProposedChange.Field.GIVEN_NAME: lead.given_name,
        ProposedChange.Field.TITLE: lead.title,
        ProposedChange.Field.PHONE: lead.phone,
        ProposedChange.Field.COMPANY: lead.company.name if lead.company else "",
    }
    return {
        "lead": lead,
        "changes": [(change, current[ProposedChange.Field(change.field)]) for change in changes],
        "may_decide": bool(changes)
        and Lead.objects.changeable_by(user).filter(pk=lead.pk).exists(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("crm/_lead_touches.html", takes_context=True)
def lead_touches(context: template.Context, lead: Lead) -> dict[str, Any]:
    touches = {t.position: t for t in lead.touches.select_related("campaign")}
    return {
        "perms": context.get("perms"),
        "first": touches.get(Touch.Position.FIRST),
        "latest": touches.get(Touch.Position.LATEST),
    }


@register.simple_tag
def waiting_confirmation(lead: Lead) -> Any:
    """The confirmation email the person has not answered yet, if any."""
    return lead.confirmations.filter(confirmed_at__isnull=True).first()
