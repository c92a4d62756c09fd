"""Sales' part of crm's pages: a lead's handoffs (with the reasons sales gave
when rejecting) and the rep's forms; a campaign's rejection reasons."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count

from crm.models import Campaign, Lead
from handoff.forms import AnswerForm, TouchForm
from handoff.models import Handoff

register = template.Library()


@register.inclusion_tag("handoff/_lead_sales.html", takes_context=True)
def lead_sales(context: template.Context, lead: Lead) -> dict[str, Any]:
    """On the lead page: its handoffs for everyone who sees the lead; the touch
    and answer forms for reps."""
    request = context["request"]
    handoffs = list(lead.handoffs.select_related("claimed_by").order_by("-created_at"))
    live = next((h for h in handoffs if h.status not in ("rejected", "withdrawn")), None)
    can_work = request.user.has_perm("handoff.claim_handoff")
    return {
        "request": request,
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "lead": lead,
        "handoffs": handoffs,
        "live": live,
        "can_work": can_work,
        "touch_form": TouchForm() if can_work else None,
        "answer_form": AnswerForm(answered=lead.answers.values_list("question", flat=True))
        if can_work
        else None,
    }


@register.inclusion_tag("handoff/_campaign_rejections.html")
def campaign_rejections(campaign: Campaign) -> dict[str, Any]:
    """Why sales sent this campaign's leads back, most frequent reason first."""
    reasons = dict(Handoff.RejectReason.choices)
    rows = (
        Handoff.objects.filter(lead__source_campaign=campaign, status=Handoff.Status.REJECTED)
        .values("reject_reason")
        .annotate(count=Count("pk"))
        .order_by("-count", "reject_reason")
    )
    return {"rejections": [(reasons.get(r["reject_reason"], ""), r["count"]) for r in rows]}


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, name: str, value: object) -> str:
    """The page's query string with one parameter set (the pages of a list
    keep the other list's page and any filter)."""
    query = context["request"].GET.copy()
    query[name] = str(value)
    return str(query.urlencode())
