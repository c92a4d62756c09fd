"""API races against real PostgreSQL: real threads, one connection each."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from crm.models import Activity, OutboxEvent
from handoff.models import Handoff
from tests import factories
from tests.api.conftest import token_client
from tests.conftest import make_user
from tests.handoff.test_concurrency import run_at_once

# serialized_rollback: the flush after each test would drop the roles and rules
# that data migrations created.
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BATCH = "/api/v1/activities/batch/"


def same_user_client(user: User) -> APIClient:
    """Another client of the same user (a token of its own)."""
    return token_client(user)


def test_overlapping_batches_at_once_record_each_activity_once():
    marketer = make_user("marketer", "marketer")
    leads = [factories.lead() for _ in range(5)]
    # Four batches of 300 over 600 external ids: each id is in two batches,
    # in a different order, so they would deadlock if locks were taken unsorted.
    batches = []
    for b in range(4):
        numbers = range(b * 150, b * 150 + 300)
        order = list(numbers) if b % 2 else list(reversed(numbers))
        batches.append(
            {
                "activities": [
                    {"lead": leads[n % 5].pk, "kind": "page_view", "external_id": f"e{n % 600}"}
                    for n in order
                ]
            }
        )
    clients = [same_user_client(marketer) for _ in batches]
    bodies = run_at_once(
        [
            lambda c=c, body=body: c.post(BATCH, body, format="json").json()
            for c, body in zip(clients, batches, strict=True)
        ]
    )
    assert Activity.objects.count() == 600
    assert sum(body["created"] for body in bodies) == 600
    assert sum(body["already_known"] for body in bodies) == 600
    recorded = [
        i for e in OutboxEvent.objects.filter(topic="activities.recorded")
        for i in e.payload["activity_ids"]
    ]  # fmt: skip
    assert sorted(recorded) == sorted(Activity.objects.values_list("pk", flat=True))


def test_the_same_batch_posted_at_once_is_recorded_once():
    marketer = make_user("marketer", "marketer")
    lead = factories.lead()
    body = {
        "activities": [
            {"lead": lead.pk, "kind": "email_open", "external_id": f"open-{i}"} for i in range(50)
        ]
    }
    clients = [same_user_client(marketer) for _ in range(6)]
    bodies = run_at_once([lambda c=c: c.post(BATCH, body, format="json").json() for c in clients])
    assert sorted(b["created"] for b in bodies) == [0, 0, 0, 0, 0, 50]
    assert Activity.objects.count() == 50


def test_claims_through_the_api_have_exactly_one_winner():
    reps = [make_user(f"rep{i}", "sales", first_name=f"Rep{i}") for i in range(20)]
    clients = [token_client(rep) for rep in reps]
    for _round in range(5):
        handoff = factories.qualified_handoff()
        url = f"/api/v1/handoffs/{handoff.pk}/claim/"
        responses = run_at_once([lambda c=c, url=url: c.post(url) for c in clients])
        statuses = [r.status_code for r in responses]
        assert statuses.count(200) == 1
        # A loser that asked while it waited learns it is gone (409), one that
        # asked after the winner committed no longer sees it (404): neither
        # learns who won.
        assert statuses.count(409) + statuses.count(404) == len(reps) - 1
        winner = reps[statuses.index(200)]
        assert Handoff.objects.get(pk=handoff.pk).claimed_by == winner
        assert {r.json()["detail"] for r in responses if r.status_code != 200} <= {
            "Someone else claimed this lead first.",
            "Not found.",
        }


def test_the_same_lead_created_at_once_is_one_lead_and_clear_409s():
    marketer = make_user("marketer", "marketer")
    clients = [same_user_client(marketer) for _ in range(6)]
    body = {"family_name": "同時", "email": "same@example.jp"}
    responses = run_at_once(
        [lambda c=c: c.post("/api/v1/leads/", body, format="json") for c in clients]
    )
    # A clash with what is stored: 409, with the field's message.
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409, 409]
    assert all(
        r.json()["email"] == ["A lead with this email already exists."]
        for r in responses
        if r.status_code == 409
    )
