"""The context package: what sales reads before calling, so that nobody asks
the customer twice.

`build` takes a snapshot when the lead hands off (kept in Handoff.context as
JSON, codes rather than labels, so it reads in the viewer's language);
`present` turns it back into something a template shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from crm import scoring
from crm import services as crm
from crm.models import Activity, Answer, Campaign, Company, Industry, Lead, Prefecture, SizeBand
from web.people import person

if TYPE_CHECKING:
    from handoff.models import Handoff

LATEST_ACTIVITIES = 10
EARLIER_HANDOFFS = 5


def build(
    lead: Lead,
    *,
    explanation: scoring.Explanation | None = None,
    earlier: list[Handoff] | None = None,
) -> dict[str, Any]:
    """The lead as marketing knows it at this moment. `explanation`: its scores
    as just computed, and `earlier`: its handoffs, newest first (with who
    claimed them), if the caller has them."""
    campaign = lead.source_campaign
    company = lead.company
    activities = lead.activities.select_related("campaign").order_by("-occurred_at", "-pk")
    if earlier is None:
        earlier = list(earlier_handoffs(lead)[:EARLIER_HANDOFFS])
    return {
        "scores": (explanation or crm.explain_lead(lead)).summary(),
        "activities": [_activity(a) for a in activities[:LATEST_ACTIVITIES]],
        "answers": [_answer(a) for a in lead.answers.order_by("-recorded_at", "-pk")],
        "campaign": _campaign(campaign) if campaign else None,
        "company": _company(company) if company else None,
        "earlier_handoffs": [
            {
                "created_at": h.created_at.isoformat(),
                "status": h.status,
                "reject_reason": h.reject_reason,
                "reject_note": h.reject_note,
                "rep": person(h.claimed_by),
            }
            for h in earlier[:EARLIER_HANDOFFS]
        ],
    }


def earlier_handoffs(lead: Lead) -> QuerySet[Handoff]:
    """The lead's handoffs, newest first, with who claimed them."""
    return lead.handoffs.select_related("claimed_by").order_by("-created_at", "-pk")


def _activity(activity: Activity) -> dict[str, Any]:
    details = activity.details or {}
    form = details.get("form") or {}
    text = form.get("message") or details.get("note") or details.get("title") or ""
    return {
        "kind": activity.kind,
        "occurred_at": activity.occurred_at.isoformat(),
        "campaign": activity.campaign.name if activity.campaign else "",
        "url": str(details.get("url", ""))[:500],
        "text": str(text)[:500],
    }


def _answer(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "asked": answer.asked,
        "answer": answer.answer,
        "source": answer.source,
        "recorded_at": answer.recorded_at.isoformat(),
    }


def _campaign(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.pk, "name": campaign.name, "channel": campaign.channel}


def _company(company: Company) -> dict[str, Any]:
    return {
        "id": company.pk,
        "name": company.name,
        "industry": company.industry,
        "size_band": company.size_band,
        "prefecture": company.prefecture,
    }


@dataclass(frozen=True)
class Line:
    """One row of the package, its codes turned into labels."""

    label: str
    at: datetime | None = None
    text: str = ""
    extra: str = ""


@dataclass(frozen=True)
class Package:
    scores: dict[str, Any]
    activities: list[Line]
    campaign: str
    channel: str
    company: str
    company_facts: list[str]
    earlier_handoffs: list[Line] = field(default_factory=list)


def present(context: dict[str, Any]) -> Package:
    """The stored snapshot with labels in the current language."""
    from handoff.models import Handoff

    kinds = dict(Activity.Kind.choices)
    statuses = dict(Handoff.Status.choices)
    reasons = dict(Handoff.RejectReason.choices)
    channels = dict(Campaign._meta.get_field("channel").flatchoices)
    campaign = context.get("campaign") or {}
    company = context.get("company") or {}
    facts = [
        str(dict(choices).get(company.get(key, ""), ""))
        for key, choices in (
            ("industry", Industry.choices),
            ("size_band", SizeBand.choices),
            ("prefecture", Prefecture.choices),
        )
    ]
    return Package(
        scores=context.get("scores") or {},
        activities=[
            Line(
                label=str(kinds.get(a.get("kind", ""), a.get("kind", ""))),
                at=parse_datetime(a.get("occurred_at", "")),
                text=a.get("text", ""),
                extra=a.get("url", "") or a.get("campaign", ""),
            )
            for a in context.get("activities", [])
        ],
        campaign=campaign.get("name", ""),
        channel=str(channels.get(campaign.get("channel", ""), "")),
        company=company.get("name", ""),
        company_facts=[f for f in facts if f],
        earlier_handoffs=[
            Line(
                label=str(statuses.get(h.get("status", ""), "")),
                at=parse_datetime(h.get("created_at", "")),
                text=h.get("reject_note", ""),
                extra=str(reasons.get(h.get("reject_reason", ""), "")),
            )
            for h in context.get("earlier_handoffs", [])
        ],
    )
