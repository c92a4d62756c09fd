"""Emitting webhook events where things happen, inside their transaction.

The handoff and deal code calls one function per event (the handoff's are
in handoff/webhook_events.py). When no active
endpoint asked for the event (the usual case) the call answers from a cached
set of subscribed event types and touches no table: the scoring hot path pays
a cache read, not a query. The set is cached for SUBSCRIPTIONS_SECONDS and
dropped when an endpoint changes; with a per-process cache (locmem, or the
fallback while Redis is away) other processes notice a new endpoint within
that time.

Otherwise the event row, one delivery row per subscribed endpoint and one
outbox event per delivery are written in the caller's transaction: they exist
exactly when the change committed, and the outbox publishes them after commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from crm import outbox
from crm.topics import Topic
from web.shared_cache import cache
from webhooks.models import Delivery, Endpoint, Event, EventType

if TYPE_CHECKING:
    from crm.models import Deal, DealStage, Lead, LostReason

SUBSCRIPTIONS_KEY = "webhooks:subscribed-event-types"
SUBSCRIPTIONS_SECONDS = 60


def subscribed_event_types() -> frozenset[str]:
    """The event types at least one active endpoint asked for (cached)."""
    types: frozenset[str] | None = cache.get(SUBSCRIPTIONS_KEY)
    if types is None:
        rows = Endpoint.objects.active().values_list("events", flat=True)
        types = frozenset(event for events in rows for event in events)
        cache.set(SUBSCRIPTIONS_KEY, types, SUBSCRIPTIONS_SECONDS)
    return types


def forget_subscriptions() -> None:
    """Drop the cached set now and again after commit (a reader between the two
    would otherwise cache the old endpoints for the whole timeout)."""
    cache.delete(SUBSCRIPTIONS_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIPTIONS_KEY))


def emit(event_type: str, data: Callable[[], dict[str, Any]]) -> Event | None:
    """Record `event_type` for every active endpoint subscribed to it, in the
    current transaction; `data` builds the object's JSON only when needed.
    Returns the event, or None when nobody listens."""
    if event_type not in subscribed_event_types():
        return None
    endpoints = [e for e in Endpoint.objects.active().order_by("pk") if event_type in e.events]
    if not endpoints:
        return None
    # Dates and decimals as the API writes them; a plain JSON value in the row.
    event = Event.objects.create(
        type=event_type, data=json.loads(json.dumps(data(), cls=DjangoJSONEncoder))
    )
    deliveries = Delivery.objects.bulk_create(
        [Delivery(endpoint=endpoint, event=event) for endpoint in endpoints]
    )
    for delivery in deliveries:
        # Consumed by webhooks.tasks.deliver_webhook_event (the signed POST).
        outbox.emit(Topic.WEBHOOK_DELIVERY, {"delivery_id": delivery.pk})
    return event


# --- The events (one call each from the code where they happen) --------------
# The handoff's events and its JSON are handoff's (handoff/webhook_events.py).


def deal_stage_changed(deal: Deal, *, from_stage: DealStage | None) -> Event | None:
    return emit(
        EventType.DEAL_STAGE_CHANGED,
        lambda: {
            "deal": deal_data(deal),
            "from_stage": stage_data(from_stage) if from_stage is not None else None,
        },
    )


def deal_won(deal: Deal) -> Event | None:
    return emit(EventType.DEAL_WON, lambda: {"deal": deal_data(deal)})


def deal_lost(deal: Deal) -> Event | None:
    return emit(EventType.DEAL_LOST, lambda: {"deal": deal_data(deal)})


# --- The objects, as receivers get them (the API's field names) --------------


def lead_data(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "family_name": lead.family_name,
        "given_name": lead.given_name,
        "email": lead.email,
        "company": lead.company_id,
        "stage": lead.stage,
        "owner": lead.owner_id,
        "source_campaign": lead.source_campaign_id,
        "fit_score": lead.fit_score,
        "engagement_score": lead.engagement_score,
        "created_at": lead.created_at,
    }


def deal_data(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "lead": deal.lead_id,
        "company": deal.company_id,
        "name": deal.name,
        "amount": deal.amount,
        "stage": stage_data(deal.stage),
        "status": deal.status,
        "probability": deal.probability,
        "expected_close_date": deal.expected_close_date,
        "next_step": deal.next_step,
        "source_campaign": deal.source_campaign_id,
        "close_date": deal.close_date,
        "lost_reason": reason_data(deal.lost_reason) if deal.lost_reason_id else None,
        "lost_note": deal.lost_note,
        "owner": deal.owner_id,
        "created_at": deal.created_at,
        "closed_at": deal.closed_at,
    }


def stage_data(stage: DealStage) -> dict[str, Any]:
    return {
        "id": stage.pk,
        "name_ja": stage.name_ja,
        "name_en": stage.name_en,
        "kind": stage.kind,
        "probability": stage.probability,
    }


def reason_data(reason: LostReason | None) -> dict[str, Any] | None:
    if reason is None:
        return None
    return {"id": reason.pk, "name_ja": reason.name_ja, "name_en": reason.name_en}
