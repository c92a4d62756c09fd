"""The handoff's webhook events, emitted through webhooks.events inside the
transaction where the change happens (one call each from handoff's services),
and the handoff as receivers get it (the API's field names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webhooks.events import emit, lead_data
from webhooks.models import Event, EventType

if TYPE_CHECKING:
    from crm.models import Lead
    from handoff.models import Handoff


def lead_became_mql(lead: Lead, handoff: Handoff) -> Event | None:
    return emit(
        EventType.LEAD_MQL, lambda: {"lead": lead_data(lead), "handoff": handoff_data(handoff)}
    )


def handoff_claimed(handoff: Handoff) -> Event | None:
    return emit(EventType.HANDOFF_CLAIMED, lambda: {"handoff": handoff_data(handoff)})


def handoff_accepted(handoff: Handoff) -> Event | None:
    return emit(EventType.HANDOFF_ACCEPTED, lambda: {"handoff": handoff_data(handoff)})


def handoff_rejected(handoff: Handoff) -> Event | None:
    return emit(EventType.HANDOFF_REJECTED, lambda: {"handoff": handoff_data(handoff)})


def handoff_data(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.pk,
        "lead": handoff.lead_id,
        "status": handoff.status,
        "created_at": handoff.created_at,
        "score_at_handoff": handoff.score_at_handoff,
        "claimed_by": handoff.claimed_by_id,
        "claimed_at": handoff.claimed_at,
        "claimed_via": handoff.claimed_via,
        "decided_at": handoff.decided_at,
        "reject_reason": handoff.reject_reason,
        "reject_note": handoff.reject_note,
    }
