"""A batch through the API, scored in-process (as under `make run`): the lead
crosses the threshold and is handed to sales once."""

from __future__ import annotations

import pytest
import time_machine

from crm.models import Activity, Lead, OutboxEvent
from handoff import services
from handoff.models import Handoff, HandoffPolicy
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BATCH = "/api/v1/activities/batch/"


def test_a_batch_is_scored_and_hands_the_lead_off(in_process_tasks, api_as, marketer, rep):
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=50)
    lead = factories.lead()
    items = [{"lead": lead.pk, "kind": "webinar", "external_id": f"webinar-{i}"} for i in range(2)]
    client = api_as(marketer)
    assert client.post(BATCH, {"activities": items}, format="json").json()["created"] == 2
    lead.refresh_from_db()
    assert lead.engagement_score == 50
    assert lead.stage == Lead.Stage.MQL
    assert Handoff.objects.filter(lead=lead).count() == 1
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    client.post(BATCH, {"activities": items}, format="json")  # delivered again
    lead.refresh_from_db()
    assert lead.engagement_score == 50
    assert Activity.objects.filter(scored_at__isnull=False).count() == 2


def test_a_sales_touch_in_a_batch_stops_the_sla_clock(in_process_tasks, api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    with time_machine.travel("2026-11-27T09:55:00+09:00", tick=False):
        services.claim_handoff(handoff, rep=rep)  # touches may not predate the claim
    items = [
        {"lead": handoff.lead_id, "kind": "call", "occurred_at": "2026-11-27T10:05:00+09:00"},
        {"lead": handoff.lead_id, "kind": "note", "occurred_at": "2026-11-27T10:00:00+09:00"},
    ]
    assert api_as(rep).post(BATCH, {"activities": items}, format="json").json()["created"] == 2
    handoff.refresh_from_db()
    assert handoff.first_touch_at is not None
    assert handoff.first_touch_at.isoformat() == "2026-11-27T01:00:00+00:00"
