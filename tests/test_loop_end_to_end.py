"""The whole loop on real PostgreSQL, Redis and a Celery worker process:
capture → outbox → worker scores → one handoff + notifications → a rep claims →
the manager's KPI page counts it."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from crm import drain, outbox
from crm.models import Lead, OutboxEvent
from handoff.models import Handoff, HandoffPolicy, Notification
from kpi import metrics as kpi_metrics
from kpi import tasks as kpi_tasks
from kpi.forms import this_quarter
from kpi.metrics import Filters
from tests.conftest import TEST_QUEUE, WorkerProcess, use_broker, wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def post_capture(client, campaign, email: str, **extra: str):
    return client.post(
        reverse("capture", args=[campaign.capture_key]),
        {"email": email, "family_name": "山田", **extra},
    )


def test_capture_to_claim_to_kpi_through_a_real_worker(
    celery_worker, client, campaign, rep, other_rep, manager
):
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=40)  # two form submits (20 each)
    assert post_capture(client, campaign, "loop@example.jp").status_code == 200
    lead = Lead.objects.get(email="loop@example.jp")
    wait_until(lambda: Lead.objects.get(pk=lead.pk).engagement_score == 20)
    assert not Handoff.objects.exists()

    assert post_capture(client, campaign, "LOOP@example.jp", title="部長").status_code == 200
    handoff = wait_until(lambda: Handoff.objects.filter(lead=lead).first())
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.MQL
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "rep",
        "other_rep",
    }
    # The handoff's notification emails are events of their own, consumed just after it.
    wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())

    client.force_login(rep)
    badge = client.get(reverse("handoff:notification_badge")).content.decode()
    assert ">1</span>" in badge
    response = client.post(reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true")
    assert 'data-testid="claimed-by-me"' in response.content.decode()
    # Held by rep now, the handoff is out of other_rep's scope: a 404 naming nobody.
    client.force_login(other_rep)
    response = client.post(reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404

    # The worker brings the KPI rollups up to date (beat asks every minute).
    kpi_tasks.refresh_rollups.delay()

    def counted() -> bool:
        values = kpi_metrics.dashboard(this_quarter(timezone.localdate()), Filters()).values()
        return (values["leads"], values["mqls"], values["claimed"]) == (1, 1, 1)

    wait_until(counted)
    client.force_login(manager)
    values = client.get(reverse("kpi:dashboard")).context["board"].values()
    assert (values["leads"], values["mqls"], values["claimed"]) == (1, 1, 1)


def test_capture_while_redis_is_down_is_scored_after_it_returns(
    private_redis, client, campaign, rep
):
    """The capture succeeds with the broker down; the outbox sweep publishes the
    event once Redis is back, and a worker scores it exactly once."""
    # A drain of the session's worker (on the shared Redis) may still linger
    # after the test before and would take this event itself: let it stop.
    shared = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    wait_until(lambda: not shared.exists(drain.flag_key(TEST_QUEUE, "activity.recorded")))
    worker = WorkerProcess(private_redis.url, queue="baton-test-outage")
    with use_broker(private_redis.url):
        private_redis.stop()
        response = post_capture(client, campaign, "outage@example.jp")
        assert response.status_code == 200
        event = OutboxEvent.objects.get()
        assert event.published_at is None and event.processed_at is None

        private_redis.start()
        worker.start()
        try:
            # The sweep only takes events older than the fast path's grace period.
            OutboxEvent.objects.filter(pk=event.pk).update(
                created_at=event.created_at.replace(year=2020)
            )
            from config.celery import app

            app.conf.task_default_queue, previous = worker.queue, app.conf.task_default_queue
            try:
                assert outbox.relay_pending() == 1
            finally:
                app.conf.task_default_queue = previous
            wait_until(lambda: OutboxEvent.objects.get(pk=event.pk).processed_at is not None)
        finally:
            worker.stop()
    lead = Lead.objects.get(email="outage@example.jp")
    assert lead.engagement_score == 20
    assert lead.activities.get().scored_at is not None
