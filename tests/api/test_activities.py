"""Activities through the API: one at a time, and batches idempotent by external id."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Activity, OutboxEvent
from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db

ACTIVITIES = "/api/v1/activities/"
BATCH = "/api/v1/activities/batch/"


def batch_of(leads, n, prefix="evt"):
    return {
        "activities": [
            {
                "lead": leads[i % len(leads)].pk,
                "kind": "page_view",
                "occurred_at": "2026-11-20T10:00:00+09:00",
                "details": {"url": f"/pricing/{i}"},
                "external_id": f"{prefix}-{i}",
            }
            for i in range(n)
        ]
    }


def test_one_activity_is_created_and_queued_for_scoring(api_as, marketer, campaign):
    lead = factories.lead()
    response = api_as(marketer).post(
        ACTIVITIES,
        {"lead": lead.pk, "kind": "download", "campaign": campaign.pk, "external_id": "dl-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.lead, activity.actor, activity.campaign) == (lead, marketer, campaign)
    assert OutboxEvent.objects.filter(payload__activity_id=activity.pk).count() == 1


def test_the_same_external_id_again_answers_200_and_records_nothing(api_as, marketer):
    lead = factories.lead()
    client = api_as(marketer)
    body = {"lead": lead.pk, "kind": "download", "external_id": "dl-1"}
    first = client.post(ACTIVITIES, body, format="json")
    again = client.post(ACTIVITIES, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Activity.objects.count() == 1


def test_invalid_activity_gets_a_message_per_field(api_as, marketer):
    response = api_as(marketer).post(
        ACTIVITIES, {"lead": 999999, "kind": "dance", "occurred_at": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"lead", "kind", "occurred_at"}
    assert "dance" in errors["kind"][0]


def test_a_reps_sales_touch_stops_the_sla_clock(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    response = api_as(rep).post(
        ACTIVITIES, {"lead": handoff.lead_id, "kind": "call"}, format="json"
    )
    assert response.status_code == 201
    handoff.refresh_from_db()
    assert handoff.first_touch_at is not None


# --- Batches ---------------------------------------------------------------------


def test_a_batch_is_recorded_with_one_outbox_event(api_as, marketer):
    leads = [factories.lead() for _ in range(3)]
    response = api_as(marketer).post(BATCH, batch_of(leads, 30), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["already_known"], body["rejected"]) == (30, 0, 0)
    assert [r["index"] for r in body["results"]] == list(range(30))
    assert all(r["status"] == "created" and r["id"] for r in body["results"])
    assert Activity.objects.count() == 30
    event = OutboxEvent.objects.get(topic="activities.recorded")
    assert sorted(event.payload["activity_ids"]) == sorted(r["id"] for r in body["results"])
    stored = Activity.objects.get(external_id="evt-1")
    assert (stored.actor, stored.details) == (marketer, {"url": "/pricing/1"})


def test_the_same_batch_twice_creates_nothing_new(api_as, marketer):
    leads = [factories.lead() for _ in range(3)]
    client = api_as(marketer)
    first = client.post(BATCH, batch_of(leads, 20), format="json").json()
    again = client.post(BATCH, batch_of(leads, 20), format="json").json()
    assert (again["created"], again["already_known"]) == (0, 20)
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert Activity.objects.count() == 20
    assert OutboxEvent.objects.filter(topic="activities.recorded").count() == 1


def test_an_external_id_twice_in_one_batch_is_recorded_once(api_as, marketer):
    lead = factories.lead()
    item = {"lead": lead.pk, "kind": "email_open", "external_id": "open-1"}
    body = api_as(marketer).post(BATCH, {"activities": [item, item]}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "already_known"]
    assert body["results"][0]["id"] == body["results"][1]["id"]
    assert Activity.objects.count() == 1


def test_items_without_external_id_are_always_recorded(api_as, marketer):
    lead = factories.lead()
    item = {"email": lead.email.upper(), "kind": "page_view"}
    body = api_as(marketer).post(BATCH, {"activities": [item, item]}, format="json").json()
    assert body["created"] == 2
    assert Activity.objects.filter(lead=lead).count() == 2


def test_bad_items_are_rejected_with_messages_and_the_rest_recorded(api_as, rep, marketer):
    visible = factories.lead()
    other = factories.lead()
    items = [
        {"lead": visible.pk, "kind": "page_view", "external_id": "ok"},
        {"lead": visible.pk, "kind": "dance"},
        {"kind": "page_view"},
        {"lead": 999999, "kind": "page_view"},
        {"lead": other.pk, "kind": "page_view", "campaign": 999999},
        {"lead": visible.pk, "kind": "page_view", "details": {"x": "y" * 10_001}},
    ]
    body = api_as(marketer).post(BATCH, {"activities": items}, format="json").json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", *["rejected"] * 5]
    errors = [r["errors"] for r in body["results"]]
    assert set(errors[1]) == {"kind"}
    assert errors[2] == {"lead": ["Give the lead's id or its email."]}
    assert set(errors[3]) == {"lead"}
    assert set(errors[4]) == {"campaign"}
    assert set(errors[5]) == {"details"}
    assert Activity.objects.count() == 1


def test_a_rep_cannot_record_on_leads_out_of_scope(api_as, rep):
    lead = factories.lead()  # a plain lead: marketing's, not waiting for sales
    item = {"lead": lead.pk, "kind": "call"}
    body = api_as(rep).post(BATCH, {"activities": [item]}, format="json").json()
    assert body["rejected"] == 1
    assert not Activity.objects.exists()


def test_a_batch_over_1000_is_refused(api_as, marketer):
    lead = factories.lead()
    response = api_as(marketer).post(BATCH, batch_of([lead], 1001), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "activities": ["A batch holds at most 1,000 activities; this one has 1,001."]
    }
    assert not Activity.objects.exists()


def test_an_empty_or_malformed_batch_is_refused(api_as, marketer):
    client = api_as(marketer)
    assert client.post(BATCH, {"activities": []}, format="json").status_code == 400
    response = client.post(BATCH, {"activities": "many"}, format="json")
    assert response.status_code == 400
    assert "activities" in response.json()


def test_a_full_batch_takes_a_bounded_number_of_queries(api_as, marketer):
    leads = [factories.lead() for _ in range(50)]
    client = api_as(marketer)
    body = batch_of(leads, 1000)
    for item in body["activities"][500:]:
        del item["external_id"]  # both insert paths
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BATCH, body, format="json")
    assert response.json()["created"] == 1000
    assert len(queries) <= 20, [q["sql"][:80] for q in queries]


def test_a_body_over_the_cap_is_refused_unread(api_as, marketer, settings):
    settings.BATON_API_MAX_BODY_BYTES = 1000
    lead = factories.lead()
    response = api_as(marketer).post(BATCH, batch_of([lead], 20), format="json")
    assert response.status_code == 413
    assert "the API reads at most 1,000" in response.json()["detail"]
    assert not Activity.objects.exists()
