"""Delivering an event: signed, retried with backoff, once per endpoint and
event, and never to a private address or through a redirect."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import outbox
from crm.models import OutboxEvent
from handoff import services as handoff_services
from tests import factories
from tests.webhooks.conftest import FakeReceiver, delivery_events, make_endpoint
from webhooks import services, tasks
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def accepted_event(rep, campaign, endpoint=None):
    """A handoff claimed and accepted by `rep`: the outbox event of the
    handoff.accepted delivery."""
    endpoint = endpoint or make_endpoint(event_types=["handoff.accepted"])
    handoff = factories.qualified_handoff(campaign)
    handoff_services.claim_handoff(handoff, rep=rep)
    handoff_services.accept_handoff(handoff, rep=rep)
    [event] = delivery_events(endpoint)
    return event


def test_the_receiver_can_verify_the_signature_and_read_the_event(
    receiver: FakeReceiver, rep, campaign
):
    endpoint = make_endpoint(event_types=["handoff.accepted"])
    outbox_event = accepted_event(rep, campaign, endpoint)
    tasks.deliver_webhook_event(outbox_event.pk)

    [(ip, path, body, headers)] = receiver.requests
    assert (ip, path) == ("93.184.215.14", "/baton")
    timestamp = headers["X-Baton-Timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    expected = hmac.new(
        endpoint.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["X-Baton-Signature"], f"sha256={expected}")
    event = json.loads(body)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == headers["X-Baton-Event"] == "handoff.accepted"
    assert event["id"] == headers["X-Baton-Event-Id"] == str(Event.objects.get().pk)
    assert event["data"]["handoff"]["status"] == "accepted"
    assert event["data"]["handoff"]["claimed_by"] == rep.pk
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_retry_at is None


def test_a_server_error_is_retried_with_exponential_backoff_then_delivered(
    receiver: FakeReceiver, retries, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.statuses = [503, 502]
    with pytest.raises(Retry):
        tasks.deliver_webhook_event(outbox_event.pk)
    with pytest.raises(Retry):
        tasks.deliver_webhook_event(outbox_event.pk, attempt=1)
    tasks.deliver_webhook_event(outbox_event.pk, attempt=2)

    first, second = retries
    assert first["kwargs"] == {"attempt": 1} and 5 <= first["countdown"] <= 10
    assert second["kwargs"] == {"attempt": 2} and 10 <= second["countdown"] <= 20
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert len(receiver.requests) == 3
    # The same event each time (receivers drop duplicates by its id).
    assert len({json.loads(body)["id"] for _ip, _path, body, _headers in receiver.requests}) == 1


def test_a_pending_retry_shows_when_it_is_due_and_keeps_the_sweep_away(
    receiver: FakeReceiver, retries, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.status = 500
    with pytest.raises(Retry):
        tasks.deliver_webhook_event(outbox_event.pk)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error == "webhook answered: HTTP 500"
    assert delivery.next_retry_at is not None
    due = delivery.next_retry_at - timezone.now()
    assert timedelta(seconds=4) < due <= timedelta(seconds=10)
    assert outbox.relay_pending() == 0  # published "at the retry's due time"


def test_the_last_attempt_fails_for_good(receiver: FakeReceiver, retries, rep, campaign):
    outbox_event = accepted_event(rep, campaign)
    Delivery.objects.update(attempts=services.MAX_ATTEMPTS - 1)
    receiver.status = 503
    tasks.deliver_webhook_event(outbox_event.pk, attempt=services.MAX_ATTEMPTS - 1)
    assert retries == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)


def test_backoff_doubles_up_to_ten_minutes():
    from webhooks.sender import backoff_seconds

    assert [backoff_seconds(n) for n in range(8)] == [10, 20, 40, 80, 160, 320, 600, 600]


def test_a_client_error_fails_without_retry(receiver: FakeReceiver, retries, rep, campaign):
    outbox_event = accepted_event(rep, campaign)
    receiver.status = 410
    tasks.deliver_webhook_event(outbox_event.pk)
    assert retries == []
    assert Delivery.objects.get().status == "failed"


def test_delivered_once_when_the_task_runs_again_or_a_stale_retry_arrives(
    receiver: FakeReceiver, retries, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.statuses = [503]
    with pytest.raises(Retry):
        tasks.deliver_webhook_event(outbox_event.pk)
    tasks.deliver_webhook_event(outbox_event.pk, attempt=1)  # the retry: delivered
    tasks.deliver_webhook_event(outbox_event.pk, attempt=1)  # the same retry, redelivered
    tasks.deliver_webhook_event(outbox_event.pk)  # the outbox sweep's copy
    tasks.deliver_webhook_event(outbox_event.pk, attempt=0)  # a stale first attempt
    assert len(receiver.requests) == 2
    assert Delivery.objects.get().attempts == 2


def test_a_stale_retry_of_a_pending_delivery_posts_nothing(
    receiver: FakeReceiver, retries, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.status = 503
    with pytest.raises(Retry):
        tasks.deliver_webhook_event(outbox_event.pk)
    tasks.deliver_webhook_event(outbox_event.pk, attempt=0)  # attempt 0 was made already
    assert len(receiver.requests) == 1


def test_one_delivery_row_per_endpoint_and_event(rep, campaign):
    accepted_event(rep, campaign)
    delivery = Delivery.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(endpoint=delivery.endpoint, event=delivery.event)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # loopback
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",  # private
        "https://192.168.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "https://[fe80::1]/hook",
        "https://rebind.example.com/hook",  # public when saved, private now
        "http://hooks.example.com/hook",  # not https
    ],
)
def test_unsafe_addresses_are_refused_at_send_time(
    receiver: FakeReceiver, retries, rep, campaign, url
):
    endpoint = make_endpoint(event_types=["handoff.accepted"], url=url)
    outbox_event = accepted_event(rep, campaign, endpoint)
    tasks.deliver_webhook_event(outbox_event.pk)
    assert receiver.requests == []
    assert retries == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("webhook URL refused")


def test_a_redirect_to_loopback_is_not_followed_nor_retried(
    receiver: FakeReceiver, retries, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.status = 307  # the fake answers no Location: nothing would follow it anyway
    tasks.deliver_webhook_event(outbox_event.pk)
    assert len(receiver.requests) == 1
    assert retries == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("failed", 307)
    assert delivery.last_error == "redirect refused: HTTP 307"


def test_an_endpoint_switched_off_gets_no_more_deliveries(receiver: FakeReceiver, rep, campaign):
    endpoint = make_endpoint(event_types=["handoff.accepted"])
    outbox_event = accepted_event(rep, campaign, endpoint)
    services.update_endpoint(endpoint, changes={"is_active": False})
    tasks.deliver_webhook_event(outbox_event.pk)
    assert receiver.requests == []
    assert Delivery.objects.get().last_error == "endpoint switched off"


def test_in_process_the_outbox_sweep_is_the_retry(
    in_process_tasks, receiver: FakeReceiver, rep, campaign
):
    outbox_event = accepted_event(rep, campaign)
    receiver.statuses = [503]
    tasks.deliver_webhook_event.apply(args=(outbox_event.pk,))  # eager: no inline retry
    assert Delivery.objects.get().status == "pending"
    an_hour_ago = timezone.now() - timedelta(hours=1)
    OutboxEvent.objects.filter(pk=outbox_event.pk).update(created_at=an_hour_ago)
    assert outbox.relay_pending() == 0  # published "at the retry's due time": not yet
    OutboxEvent.objects.filter(pk=outbox_event.pk).update(published_at=an_hour_ago)
    assert outbox.relay_pending() == 1
    assert Delivery.objects.get().status == "delivered"
    assert len(receiver.requests) == 2


def test_old_events_go_once_every_delivery_is_over(settings):
    """After WEBHOOK_KEEP_DAYS an event and its delivery log are deleted,
    unless a delivery is still being retried; recent ones stay."""
    settings.WEBHOOK_KEEP_DAYS = 30
    endpoints = [make_endpoint(url=f"https://hooks{n}.example.com/hook") for n in range(2)]
    long_ago = timezone.now() - timedelta(days=31)

    def event(*statuses: str, at=long_ago) -> Event:
        made = Event.objects.create(type="lead.mql", data={}, created_at=at)
        for endpoint, status in zip(endpoints, statuses, strict=False):
            Delivery.objects.create(endpoint=endpoint, event=made, status=status)
        return made

    over = event(Delivery.Status.DELIVERED, Delivery.Status.FAILED)
    retrying = event(Delivery.Status.DELIVERED, Delivery.Status.PENDING)
    recent = event(Delivery.Status.DELIVERED, at=timezone.now() - timedelta(days=29))

    assert tasks.purge_webhook_events() == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {retrying.pk, recent.pk}
    assert not Delivery.objects.filter(event_id=over.pk).exists()
    assert Delivery.objects.filter(event_id=retrying.pk).count() == 2
    assert tasks.purge_webhook_events() == 0
