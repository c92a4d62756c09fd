from typing import Any

from celery import Task, shared_task

from handoff import consumers, notify, services


# Acknowledged as it starts: the message only wakes a worker, the events are in
# the outbox. A drain lost with its worker is asked for again once its flag
# expires (crm/drain.py); and no message is left unacknowledged while a drain
# lingers, which a broker going away would otherwise find (kombu then fails
# to restore it and the worker stops).
@shared_task(acks_late=False)
def drain_activity_events() -> int:
    """Score the activity events as they come, in batches, until none has come
    for a second (what a recorded activity asks for, unless a drain is on its
    way or running, which it wakes instead).

    Safe to run twice, even at once: each batch is claimed with SKIP LOCKED in
    the transaction that scores it, so two drains share the events and none
    is scored twice.
    """
    return consumers.drain_activity_events()


@shared_task
def process_activity_batch_event(event_id: int) -> None:
    """Score a batch of recorded activities (an import chunk) and hand off.

    Safe to run twice: the event is claimed in the transaction that applies it,
    and each activity is scored once by crm's ledger.
    """
    consumers.process_activity_batch_event(event_id)


@shared_task
def rescore_everyone_event(event_id: int) -> None:
    """Rescore every lead and bring the MQL stage in line.

    Safe to run twice: the job is claimed by a conditional update (a duplicate
    waits out a live heartbeat), the rescore writes what the rules give, and
    the handoff constraint allows one live handoff per lead.
    """
    consumers.rescore_everyone(event_id)


@shared_task
def nightly_rescore() -> None:
    """Queue the nightly rescore (decay). Safe to run twice: two jobs rescore
    to the same numbers."""
    from crm import services as crm_services
    from crm.models import RescoreJob

    crm_services.request_rescore(reason=RescoreJob.Reason.NIGHTLY)


@shared_task
def email_notifications_event(event_id: int) -> None:
    """Email the notifications an outbox event lists, each to its recipient.

    Safe to run twice: each notification is locked, sent only while its
    emailed_at is empty and marked in the same transaction. A mail server that
    cannot be reached leaves the event for the outbox sweep to deliver again.
    """
    notify.email_notifications_event(event_id)


@shared_task(bind=True, max_retries=None)
def deliver_chat_event(self: Task[Any, Any], event_id: int, attempt: int | None = None) -> None:
    """Post one chat message (an outbox event names its ChatDelivery row).

    Safe to run twice: the delivery row is locked and posted only while it is
    pending, and a retry carries its attempt number, so a stale duplicate does
    nothing. Retryable failures are retried with backoff up to
    notify.CHAT_MAX_ATTEMPTS (counted on the row, not by Celery). In-process
    (eager) runs do not retry inline, which would ignore the countdown: the
    outbox sweep delivers the event again instead.
    """
    retry = notify.deliver_chat_event(event_id, attempt=attempt)
    if retry is not None and not self.request.is_eager:
        raise self.retry(countdown=retry.countdown, kwargs={"attempt": retry.attempt})


@shared_task
def sweep_sla_deadlines() -> None:
    """Act on the SLA deadlines that are due on the database clock: first-touch
    breaches to the managers, untouched claims back to routing.

    Safe to run twice, even at once: deadlines are taken with SKIP LOCKED and
    settled in the transaction that acts on them, and a notification is
    recorded at most once per recipient, handoff and kind.
    """
    services.sweep_deadlines()
