"""Small builders shared by the tests (plain functions, no factory library)."""

from __future__ import annotations

from itertools import count

from django.db import transaction

from crm import capture
from crm import services as crm
from crm.models import Activity, Campaign, Lead, LeadScore, OutboxEvent
from handoff import mql
from handoff.models import Handoff, HandoffPolicy

_serial = count(1)


def lead(*, fit_score: int = 0, engagement_score: int = 0, **fields: object) -> Lead:
    n = next(_serial)
    defaults: dict[str, object] = {
        "family_name": "山田",
        "given_name": f"太郎{n}",
        "email": f"lead{n}@example.jp",
    }
    created = Lead.objects.create(**{**defaults, **fields})
    if fit_score or engagement_score:
        set_scores(created, fit=fit_score, engagement=engagement_score)
    return created


def set_scores(target: Lead, *, fit: int | None = None, engagement: int | None = None) -> None:
    """Give the lead these scores, as if scoring had written them."""
    values = {"fit": fit, "engagement": engagement}
    LeadScore.objects.filter(lead=target).update(
        **{name: value for name, value in values.items() if value is not None}
    )
    target._state.fields_cache.pop("score", None)  # read them afresh


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
    with transaction.atomic():  # as the worker does: the lead locked until it commits
        locked = Lead.objects.select_for_update().get(pk=target.pk)
        handoff = mql.hand_off_if_qualified(locked, policy=policy)
    assert handoff is not None
    return handoff


def captured_handoff(campaign: Campaign, data: capture.CaptureData) -> Handoff:
    """A lead captured through the form whose scores crossed the threshold: its
    handoff queued and reps notified. Qualified on the spot rather than through
    scoring, which may run in a worker the test did not start."""
    lead, _activity = capture.capture_lead(campaign, data=data)
    policy = HandoffPolicy.current()
    with transaction.atomic():
        set_scores(lead, engagement=policy.engagement_threshold + 10)
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        handoff = mql.hand_off_if_qualified(locked, policy=policy)
    assert handoff is not None
    return handoff
