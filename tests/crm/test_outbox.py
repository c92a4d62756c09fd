"""The outbox relay: what the sweep publishes, and what it leaves alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import drain, outbox
from crm.models import OutboxEvent
from tests.conftest import use_broker

pytestmark = pytest.mark.django_db


def event(age: timedelta, topic: str = "notifications.email", **fields: object) -> OutboxEvent:
    return OutboxEvent.objects.create(
        topic=topic, payload={"id": 0}, created_at=timezone.now() - age, **fields
    )


@pytest.fixture
def pending_ids(monkeypatch):
    """What the sweep would publish, without publishing it."""

    def sweep() -> set[int]:
        published: set[int] = set()

        def record(event_id: int, topic: str) -> bool:
            published.add(event_id)
            return True

        monkeypatch.setattr(outbox, "publish", record)
        outbox.relay_pending()
        return published

    return sweep


def test_sweep_takes_unpublished_events_past_the_grace_period(pending_ids):
    old = event(timedelta(minutes=1))
    event(timedelta(seconds=0))  # the fast path may still be publishing it
    assert pending_ids() == {old.pk}


def test_sweep_republishes_events_published_long_ago_but_never_processed(pending_ids):
    stale = event(timedelta(minutes=10), published_at=timezone.now() - timedelta(minutes=5))
    event(timedelta(minutes=10), published_at=timezone.now() - timedelta(seconds=5))
    event(timedelta(minutes=10), published_at=timezone.now(), processed_at=timezone.now())
    assert pending_ids() == {stale.pk}


def test_sweep_asks_for_one_drain_of_the_waiting_events_of_a_drained_topic(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(drain, "request", lambda topic: asked.append(topic) or True)
    for _ in range(3):
        event(timedelta(minutes=1), topic="activity.recorded")
    event(timedelta(seconds=0), topic="activity.recorded")  # its own request may still ask
    event(timedelta(minutes=1), topic="activity.recorded", processed_at=timezone.now())
    assert outbox.relay_pending() == 3
    assert asked == ["activity.recorded"]


def test_claim_pending_takes_the_oldest_waiting_events_of_its_topic_once():
    newer = event(timedelta(seconds=1), topic="activity.recorded")
    older = event(timedelta(seconds=2), topic="activity.recorded")
    event(timedelta(seconds=3))  # another topic
    event(timedelta(seconds=3), topic="activity.recorded", processed_at=timezone.now())
    assert outbox.claim_pending("activity.recorded", limit=1) == [older.payload]
    assert outbox.claim_pending("activity.recorded", limit=10) == [newer.payload]
    assert outbox.claim_pending("activity.recorded", limit=10) == []
    newer.refresh_from_db()
    assert newer.processed_at is not None


def test_mark_processed_claims_an_event_once():
    e = event(timedelta(0))
    assert outbox.mark_processed(e.pk)
    assert not outbox.mark_processed(e.pk)


def test_purge_deletes_only_long_processed_events():
    old = event(timedelta(days=10), processed_at=timezone.now() - timedelta(days=8))
    recent = event(timedelta(days=1), processed_at=timezone.now() - timedelta(days=1))
    unprocessed = event(timedelta(days=10))
    assert outbox.purge_processed() == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, unprocessed.pk}
    assert not OutboxEvent.objects.filter(pk=old.pk).exists()


@pytest.mark.services
def test_publish_with_the_broker_down_returns_false_quickly_and_keeps_the_event(private_redis):
    e = event(timedelta(minutes=1))
    private_redis.stop()
    with use_broker(private_redis.url):
        started = timezone.now()
        assert outbox.publish(e.pk, e.topic) is False
        assert timezone.now() - started < timedelta(seconds=5)
    e.refresh_from_db()
    assert e.published_at is None and e.attempts == 0
