"""Webhook endpoints (set up by admins and managers) and delivering events to them."""

from __future__ import annotations

import logging
import random
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import DurationField, Value
from django.db.models.functions import Now
from django.utils import timezone

from audit import trail
from crm import outbox
from crm.models import OutboxEvent
from webhooks import events, sender
from webhooks.models import Delivery, Endpoint, Event

logger = logging.getLogger(__name__)

# The first try and up to seven retries, 10 s to 10 min apart (about 30 min in all).
MAX_ATTEMPTS = 8
# Seconds an endpoint has to answer (the delivery row stays locked meanwhile).
TIMEOUT_SECONDS = 5.0
# Jitter for the backoff, so that deliveries failing together do not all come back together.
_jitter = random.Random()  # nosec B311  # retry jitter, not security


def new_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


@transaction.atomic
def create_endpoint(*, name: str, url: str, event_types: list[str], by: User | None) -> Endpoint:
    """A new active endpoint with a fresh signing secret."""
    endpoint = Endpoint.objects.create(
        name=name, url=url, events=sorted(event_types), secret=new_secret(), created_by=by
    )
    trail.record_configuration(endpoint, before=None, after=_snapshot(endpoint), actor=by)
    events.forget_subscriptions()
    return endpoint


def _snapshot(endpoint: Endpoint) -> dict[str, Any]:
    """What the audit trail keeps of an endpoint: never the secret, and the
    URL without its path (which may carry a token)."""
    values = trail.snapshot(endpoint, ["name", "url", "events", "is_active"])
    values["url"] = trail.masked_url(endpoint.url)
    return values


@transaction.atomic
def update_endpoint(endpoint: Endpoint, *, changes: dict[str, Any]) -> Endpoint:
    """Change an endpoint's name, URL, events or active flag; the secret stays."""
    if "events" in changes:
        changes = {**changes, "events": sorted(changes["events"])}
    before = _snapshot(endpoint)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=sorted(changes))
    trail.record_configuration(endpoint, before=before, after=_snapshot(endpoint))
    events.forget_subscriptions()
    return endpoint


@transaction.atomic
def rotate_secret(endpoint: Endpoint) -> str:
    """A new signing secret from now on; returns it (to be shown once)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    trail.record(trail.Action.CONFIGURATION_CHANGED, endpoint, summary="secret replaced")
    return endpoint.secret


@transaction.atomic
def delete_endpoint(endpoint: Endpoint) -> None:
    """The endpoint goes, and its delivery log with it."""
    pk, before = endpoint.pk, _snapshot(endpoint)
    endpoint.delete()
    trail.record_configuration(endpoint, before=before, after=None, object_id=pk)
    events.forget_subscriptions()


def deliver_event(event_id: int, *, attempt: int | None = None) -> sender.Retry | None:
    """Consume a webhooks.delivery outbox event: make one attempt at its delivery.

    1. Lock the delivery row. Stop when it is delivered or failed already, or
       when `attempt` (set by a retry) is not the next attempt any more:
       another run made it.
    2. Post the event, signed with the endpoint's secret. Delivered, or refused
       for good (a refused address, a redirect, a 4xx, the last attempt, an
       endpoint switched off): record it and mark the outbox event processed
       in the same transaction.
    3. A retryable failure (5xx, 429, timeout, connection error): record the
       attempt and when the next is due, and return it (the task schedules
       it). The outbox event stays unprocessed, its publish dated at the
       retry's due time, so the outbox sweep steps in only if the retry
       message is lost (and, where tasks run in-process, is the retry).

    The row lock is held while posting (at most TIMEOUT_SECONDS), so a
    duplicate run waits and then finds the delivery settled. One window
    remains, as with any webhook: if the process dies after the endpoint
    accepted the event and before the commit, it is posted again; receivers
    drop duplicates by the event id.
    """
    outbox_event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if outbox_event is None:
        return None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("endpoint", "event")
            .filter(pk=outbox_event.payload["delivery_id"])
            .first()
        )
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            outbox.mark_processed(event_id)
            return None
        if attempt is not None and delivery.attempts != attempt:
            return None
        retry = _attempt(delivery)
        fields = ["status", "attempts", "response_code", "last_error", "next_retry_at"]
        delivery.save(update_fields=[*fields, "delivered_at"])
        if retry is None:
            outbox.mark_processed(event_id)
        else:
            outbox.leave_to_retry(event_id, seconds=retry.countdown)
    return retry


def _attempt(delivery: Delivery) -> sender.Retry | None:
    """Post once and write the outcome on `delivery` (not saved)."""
    endpoint, event = delivery.endpoint, delivery.event
    delivery.next_retry_at = None
    if not endpoint.is_active:
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = "endpoint switched off"
        return None
    delivery.attempts += 1
    headers = {
        "X-Baton-Event": event.type,
        "X-Baton-Event-Id": str(event.pk),
        "X-Baton-Delivery": str(delivery.pk),
    }
    try:
        delivery.response_code = sender.post_message(
            endpoint.url,
            endpoint.secret.encode(),
            event.payload(),
            timeout=TIMEOUT_SECONDS,
            headers=headers,
        )
    except sender.DeliveryError as error:
        delivery.response_code = error.status
        delivery.last_error = str(error)[:300]
        if error.retryable and delivery.attempts < MAX_ATTEMPTS:
            countdown = sender.backoff_seconds(delivery.attempts - 1, rng=_jitter)
            delivery.next_retry_at = timezone.now() + timedelta(seconds=countdown)
            return sender.Retry(attempt=delivery.attempts, countdown=countdown)
        delivery.status = Delivery.Status.FAILED
        logger.warning("webhooks: delivery %s failed: %s", delivery.pk, error)
        return None
    delivery.status = Delivery.Status.DELIVERED
    delivery.delivered_at = timezone.now()
    delivery.last_error = ""
    return None


def purge_finished() -> int:
    """Delete the events older than WEBHOOK_KEEP_DAYS whose every delivery is
    over (delivered, or failed for good), with their delivery rows; an event
    still being retried stays. Compared on the database clock. Returns how
    many events went. Safe to run twice: it only deletes."""
    keep = Value(timedelta(days=settings.WEBHOOK_KEEP_DAYS), output_field=DurationField())
    finished = Event.objects.filter(created_at__lt=Now() - keep).exclude(
        deliveries__status=Delivery.Status.PENDING
    )
    _total, per_model = finished.delete()
    return per_model.get(Event._meta.label, 0)
