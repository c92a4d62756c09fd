"""The same capture delivered many times at once, against real PostgreSQL:
its answers land in the question ledger once, for a new lead and a known one."""

from __future__ import annotations

import pytest

from crm.capture import CaptureData, capture_lead
from crm.ledger import Given
from crm.models import Answer, Lead
from tests import factories
from tests.handoff.test_concurrency import run_at_once

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ANSWERS = (Given("budget", "500万円"), Given("other", "3拠点", asked="拠点数は？"))


def deliveries(campaign, email, times=10):
    data = CaptureData(email=email, family_name="加藤", answers=ANSWERS)
    return [lambda: capture_lead(campaign, data=data) for _ in range(times)]


def test_a_new_persons_answers_delivered_ten_times_at_once_land_once(campaign):
    run_at_once(deliveries(campaign, "new@example.jp"))
    lead = Lead.objects.get(email="new@example.jp")
    assert lead.activities.count() == 10
    assert sorted(lead.answers.values_list("question", "answer")) == [
        ("budget", "500万円"),
        ("other", "3拠点"),
    ]


def test_a_known_persons_answers_delivered_ten_times_at_once_land_once(campaign):
    known = factories.lead(email="kato@example.jp", family_name="加藤")
    run_at_once(deliveries(campaign, "kato@example.jp"))
    assert Answer.objects.filter(lead=known).count() == 2
