"""Simultaneous captures of one known lead, against real PostgreSQL: the lead
row lock makes them go one after the other, so one open proposal per field
and one confirmation email however many arrive at once."""

from __future__ import annotations

import pytest

from crm.capture import CaptureData, ConsentEvidence, capture_lead
from crm.models import CaptureConfirmation, Consent, Lead, ProposedChange
from tests import factories
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
