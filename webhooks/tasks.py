from typing import Any

from celery import Task, shared_task

from webhooks import services


@shared_task(bind=True, max_retries=None)
def deliver_webhook_event(self: Task[Any, Any], event_id: int, attempt: int | None = None) -> None:
    """Post one webhook event to one endpoint (an outbox event names its Delivery row).

    Safe to run twice: the delivery row is locked and posted only while it is
    pending, and a retry carries its attempt number, so a stale duplicate does
    nothing. Retryable failures are retried with exponential backoff up to
    services.MAX_ATTEMPTS (counted on the row, not by Celery). In-process
    (eager) runs do not retry inline, which would ignore the countdown: the
    outbox sweep delivers the event again instead.
    """
    retry = services.deliver_event(event_id, attempt=attempt)
    if retry is not None and not self.request.is_eager:
        raise self.retry(countdown=retry.countdown, kwargs={"attempt": retry.attempt})


@shared_task
def purge_webhook_events() -> int:
    """Delete old webhook events whose deliveries are over, with their log.
    Safe to run twice: it only deletes."""
    return services.purge_finished()
