"""The transactional outbox: events written with the change, relayed to Celery.

`emit` runs inside the caller's transaction. After commit the event is published
at once (the fast path); `relay_pending` is the periodic safety net that
publishes again whatever is still unprocessed, for instance because Redis was
down when the event was written. With BATON_OUTBOX_PUBLISH_AT_COMMIT off (the
naive sweep-only outbox the handoff latency benchmark compares against) the
sweep alone publishes, without waiting for a fast path that never runs.

Topics in BATON_OUTBOX_DRAINED (one event per activity, a hundred a second)
are not published event by event: after commit, `crm.drain.request` asks for
a task that drains every waiting event of the topic in batches, or wakes the
one that is draining already (see crm/drain.py).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import DurationField, F, Q, Value
from django.db.models.functions import Now
from kombu.exceptions import OperationalError as BrokerError

from crm import drain
from crm.models import OutboxEvent
from web.durability import commit_without_waiting_for_the_disk

logger = logging.getLogger(__name__)

# The fast path has this long to publish before the sweep considers an event lost.
FAST_PATH_GRACE = timedelta(seconds=5)


def emit(topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Write an event in the current transaction and publish it after commit
    (or, for a drained topic, ask for a drain)."""
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    if not settings.BATON_OUTBOX_PUBLISH_AT_COMMIT:
        return event
    # robust: a failing publish (or, with in-process tasks, a failing consumer)
    # must not turn a committed request into an error; the sweep retries.
    if topic in settings.BATON_OUTBOX_DRAINED:
        transaction.on_commit(lambda: drain.request(topic), robust=True)
    else:
        transaction.on_commit(lambda: publish(event.pk, topic), robust=True)
    return event


def publish(event_id: int, topic: str) -> bool:
    """Hand one event to the task that consumes its topic.

    Returns False, and leaves the event for the sweep, when the broker cannot
    be reached.
    """
    if topic in settings.BATON_OUTBOX_DRAINED:
        return drain.request(topic)
    task = current_app.tasks[settings.BATON_OUTBOX_ROUTES[topic]]
    try:
        task.delay(event_id)
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.warning("outbox: event %s not published (%s); the sweep will retry", event_id, exc)
        return False
    _mark_published(event_id)
    return True


def _mark_published(event_id: int) -> None:
    """Note the publish without waiting for the disk: `published_at` only
    spares the sweep a resend, so losing it in a crash costs a duplicate
    delivery, which consumers ignore. One fsync less per event."""
    with transaction.atomic():
        commit_without_waiting_for_the_disk()
        OutboxEvent.objects.filter(pk=event_id).update(
            published_at=Now(), attempts=F("attempts") + 1
        )


def leave_to_retry(event_id: int, *, seconds: int) -> None:
    """A consumer retries the event itself in `seconds`: date its publish at
    the retry's due time, so that the sweep (which republishes events
    published longer ago than BATON_OUTBOX_REPUBLISH_AFTER) steps in only if
    the retry message is lost, instead of racing it."""
    OutboxEvent.objects.filter(pk=event_id).update(published_at=Now() + timedelta(seconds=seconds))


def relay_pending(*, limit: int = 1000) -> int:
    """Publish unprocessed events that were never published or look lost.

    Compared on the database clock, so a worker whose clock drifts neither
    floods the queue nor waits forever. Returns how many were published (for
    a drained topic: how many events the drain it asked for will take).
    """
    republish_after = Value(settings.BATON_OUTBOX_REPUBLISH_AFTER, output_field=DurationField())
    fast_path_grace = FAST_PATH_GRACE if settings.BATON_OUTBOX_PUBLISH_AT_COMMIT else timedelta(0)
    grace = Value(fast_path_grace, output_field=DurationField())
    waiting = OutboxEvent.objects.filter(processed_at__isnull=True, created_at__lt=Now() - grace)
    pending = (
        waiting.exclude(topic__in=settings.BATON_OUTBOX_DRAINED)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=Now() - republish_after))
        .order_by("created_at")
        .values_list("pk", "topic")[:limit]
    )
    published = 0
    for event_id, topic in pending:
        if not publish(event_id, topic):
            return published  # the broker is down: no point trying the rest now
        published += 1
    # A drained topic needs one drain, which takes every waiting event.
    drained = waiting.filter(topic__in=settings.BATON_OUTBOX_DRAINED)
    counts = Counter(drained.values_list("topic", flat=True)[:limit])
    for topic, count in sorted(counts.items()):
        if drain.request(topic):
            published += count
    return published


def claim_pending(topic: str, *, limit: int) -> list[dict[str, Any]]:
    """Mark up to `limit` waiting events of `topic` processed and return their
    payloads, oldest first, in the caller's transaction. Events another
    transaction holds are skipped (SKIP LOCKED): two drains share the work."""
    if connection.vendor == "postgresql":
        now, skip_locked = "STATEMENT_TIMESTAMP()", "FOR UPDATE SKIP LOCKED"
    else:  # SQLite has one writer at a time and no row locks
        now, skip_locked = "CURRENT_TIMESTAMP", ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE crm_outboxevent SET processed_at = {now} WHERE id IN ("  # nosec B608  # constants only
            "SELECT id FROM crm_outboxevent WHERE processed_at IS NULL AND topic = %s "
            f"ORDER BY created_at, id LIMIT %s {skip_locked}) RETURNING payload",
            [topic, limit],
        )
        rows = cursor.fetchall()
    return [json.loads(p) if isinstance(p, str) else p for (p,) in rows]


def purge_processed(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete events processed long ago; returns how many."""
    cutoff = Now() - Value(older_than, output_field=DurationField())
    deleted, _ = OutboxEvent.objects.filter(processed_at__lt=cutoff).delete()
    return deleted


def claim(event_id: int) -> dict[str, Any] | None:
    """mark_processed and read the event's payload in one statement.

    Returns None when the event does not exist or another delivery processed it
    already; a concurrent duplicate waits on the row lock, then gets None.
    """
    # The ORM's update() cannot return columns: one statement instead of two
    # on the scoring path, which runs for every activity.
    # The database's clock, as Now() elsewhere (SQLite is the embedded default).
    now = "STATEMENT_TIMESTAMP()" if connection.vendor == "postgresql" else "CURRENT_TIMESTAMP"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE crm_outboxevent SET processed_at = {now} "  # nosec B608  # `now` is one of two constants
            "WHERE id = %s AND processed_at IS NULL RETURNING payload",
            [event_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    payload = row[0]
    return json.loads(payload) if isinstance(payload, str) else payload


def mark_processed(event_id: int) -> bool:
    """Claim an event for processing inside the consumer's transaction.

    Returns False when another delivery already processed it. The row lock makes
    a concurrent duplicate delivery wait, then see the event as processed.
    """
    return bool(
        OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
            processed_at=Now()
        )
    )
