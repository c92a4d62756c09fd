"""Small builders shared by the tests (plain functions, no factory library)."""

from __future__ import annotations

from itertools import count

from crm import services as crm
from crm.models import Activity, Campaign, Lead, OutboxEvent
from handoff import services as handoff_services
from handoff.models import Handoff, HandoffPolicy

_serial = count(1)


def lead(**fields: object) -> Lead:
    n = next(_serial)
    defaults: dict[str, object] = {
        "family_name": "山田",
        "given_name": f"太郎{n}",
        "email": f"lead{n}@example.jp",
    }
    return Lead.objects.create(**{**defaults, **fields})


def activity_event(
    target: Lead, kind: str = Activity.Kind.FORM_SUBMIT, **fields: object
) -> tuple[Activity, OutboxEvent]:
    """Record an activity as ingest does; return it with its outbox event."""
    activity, _ = crm.record_activity(target, kind=kind, **fields)  # type: ignore[arg-type]
    event = OutboxEvent.objects.filter(payload__activity_id=activity.pk).get()
    return activity, event


def qualified_handoff(campaign: Campaign | None = None) -> Handoff:
    """A lead that crossed the threshold, with its queued handoff."""
    policy = HandoffPolicy.current()
    target = lead(engagement_score=policy.engagement_threshold, source_campaign=campaign)
    handoff = handoff_services.hand_off_if_qualified(target, policy=policy)
    assert handoff is not None
    return handoff
