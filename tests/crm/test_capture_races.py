"""Simultaneous captures of one known lead, against real PostgreSQL: the lead
row lock makes them go one after the other, so one open proposal per field
and one confirmation email however many arrive at once."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection

from crm.capture import CaptureData, ConsentEvidence, capture_lead
from crm.models import CaptureConfirmation, Consent, Lead, OutboxEvent, ProposedChange
from tests import factories
from tests.conftest import wait_until, worker_database_url
from tests.handoff.test_concurrency import run_at_once

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_simultaneous_submits_for_a_known_lead_propose_once_and_ask_once(campaign):
    known = factories.lead(email="kato@example.jp", family_name="加藤", title="部長")
    evidence = ConsentEvidence("consent", "2026-01", "203.0.113.1", "ua", "capture:spring")
    calls = [
        lambda n=n: capture_lead(
            campaign,
            data=CaptureData(
                email="kato@example.jp",
                family_name="加藤",
                title=f"肩書{n}",
                consent=evidence,
                visitor_id=f"visitor-{n:02d}-abcdefghijkl",
            ),
        )
        for n in range(10)
    ]
    run_at_once(calls)
    assert Lead.objects.get(pk=known.pk).title == "部長"
    assert ProposedChange.objects.filter(lead=known, status="open").count() == 1
    assert CaptureConfirmation.objects.filter(lead=known).count() == 1
    assert not Consent.objects.exists()
    assert known.activities.count() == 10


def test_a_capture_of_a_known_lead_does_not_wait_for_scoring(campaign, celery_worker):
    """Scoring holds the lead's row (FOR NO KEY UPDATE) while it works; a
    capture of that lead with nothing to fill only needs the row's key. (The
    worker, not this process, scores: in-process tasks would run the drain
    in the capture's thread, which then waits, as the drain should.)"""
    known = factories.lead(email="busy@example.jp", family_name="多忙", title="部長")
    scorer = psycopg.connect(worker_database_url())
    try:
        with scorer.cursor() as cursor:
            cursor.execute("SELECT 1 FROM crm_lead WHERE id = %s FOR NO KEY UPDATE", [known.pk])
        data = CaptureData(
            email="busy@example.jp", family_name="多忙", title="課長", visitor_id="v" * 20
        )
        done = threading.Event()

        def submit() -> None:
            try:
                capture_lead(campaign, data=data)
                done.set()
            finally:
                connection.close()

        thread = threading.Thread(target=submit)
        thread.start()
        finished = done.wait(timeout=10)
    finally:
        scorer.rollback()
        scorer.close()
    thread.join(timeout=30)
    assert finished, "the capture waited for the lead's row"
    assert ProposedChange.objects.get(lead=known).value == "課長"
    # The worker's drain and email, released now, end before the tables are emptied.
    wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())
