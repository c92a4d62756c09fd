"""The loop as `make run` runs it: no broker, tasks in-process after commit."""

import pytest
from django.urls import reverse

from crm import outbox
from crm.models import Lead, OutboxEvent
from handoff.models import Handoff, HandoffPolicy, Notification

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_submits_hand_the_lead_off_in_process(in_process_tasks, client, campaign, rep):
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=40)
    url = reverse("capture", args=[campaign.capture_key])
    client.post(url, {"email": "eager@example.jp", "family_name": "山田"})
    client.post(url, {"email": "eager@example.jp", "family_name": "山田"})
    lead = Lead.objects.get()
    assert lead.engagement_score == 40
    assert lead.stage == Lead.Stage.MQL
    assert Handoff.objects.filter(lead=lead).count() == 1
    assert Notification.objects.filter(recipient=rep).count() == 1
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()


def test_sweep_processes_an_event_that_was_never_published(in_process_tasks, campaign):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from crm import capture as services

    with transaction.atomic():
        lead, _activity = services.capture_lead(
            campaign, data=services.CaptureData(email="lost@example.jp", family_name="山田")
        )
        # As if the process died between commit and publish: drop the fast path.
        transaction.get_connection().run_on_commit.clear()
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert outbox.relay_pending() == 1
    assert Lead.objects.get(pk=lead.pk).engagement_score == 20
    assert outbox.relay_pending() == 0  # processed: nothing left to send
