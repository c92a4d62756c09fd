"""Races against real PostgreSQL: real threads, one connection each, committed data."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from crm.models import Activity, Lead
from handoff import consumers
from handoff.models import Handoff, HandoffPolicy, Notification
from tests import factories
from tests.conftest import make_user

# serialized_rollback: the flush after each test would drop the roles and rules
# that data migrations created.
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def waiting(record: Callable[[], Any]) -> None:
    """Record activities in a transaction that asks for no drain, so that the
    drains a test runs are the only ones."""
    with transaction.atomic():
        record()
        transaction.get_connection().run_on_commit.clear()


def drain_batches_of(batch: int) -> Callable[[], int]:
    """The drain task's work, with a budget no loaded machine runs out of (past
    it a drain hands over to a new task, which no worker takes here)."""
    return lambda: consumers.drain_activity_events(batch=batch, linger=0, budget_seconds=120)


def test_two_activities_crossing_at_once_create_one_handoff():
    make_user("rep", "sales")
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=50)  # two webinars (25 each)
    for _round in range(10):
        lead = factories.lead()
        waiting(
            lambda lead=lead: [
                factories.activity_event(lead, Activity.Kind.WEBINAR) for _ in range(2)
            ]
        )
        # Two drains (a redelivery, the sweep's), a batch of one each: each
        # takes one event and both score the same lead at once.
        run_at_once([drain_batches_of(1), drain_batches_of(1)])
        assert Handoff.objects.filter(lead=lead).count() == 1
        lead.refresh_from_db()
        assert lead.engagement_score == 50
    assert Notification.objects.count() == 10


def test_twenty_drains_at_once_on_the_same_event_apply_it_once():
    lead = factories.lead()
    waiting(lambda: factories.activity_event(lead, Activity.Kind.DOWNLOAD))
    done = run_at_once([drain_batches_of(100) for _ in range(20)])
    assert sorted(done) == [0] * 19 + [1]
    lead.refresh_from_db()
    assert lead.engagement_score == 15


def test_drains_running_at_once_share_the_events_and_score_each_once():
    """Four drains on 200 waiting events of 40 leads (five webinars each, two
    of them cross): SKIP LOCKED gives each batch to one drain, the lead locks
    keep one lead's batches apart, and nothing is scored twice or left."""
    make_user("rep", "sales")
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=100)  # four webinars
    leads = [factories.lead() for _ in range(40)]
    # In one transaction that asks for no drain: these four are the only ones.
    with transaction.atomic():
        for _ in range(5):
            for lead in leads:
                factories.activity_event(lead, Activity.Kind.WEBINAR)
        transaction.get_connection().run_on_commit.clear()
    done = run_at_once(
        # A budget no loaded machine runs out of: past it a drain hands over to a
        # new task (the worker's, not counted here).
        [
            lambda: consumers.drain_activity_events(batch=7, linger=0, budget_seconds=120)
            for _ in range(4)
        ]
    )
    assert sum(done) == 200
    assert not Activity.objects.filter(scored_at__isnull=True).exists()
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads]):
        assert lead.engagement_score == 125
        assert lead.stage == Lead.Stage.MQL
    assert Handoff.objects.count() == 40


def test_same_capture_twice_at_once_makes_one_lead(campaign):
    from crm import capture as crm

    data = crm.CaptureData(email="same@example.jp", family_name="同時")
    run_at_once([lambda: crm.capture_lead(campaign, data=data) for _ in range(10)])
    assert Lead.objects.filter(email="same@example.jp").count() == 1
    assert Activity.objects.filter(lead__email="same@example.jp").count() == 10
