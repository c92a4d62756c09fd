from celery import shared_task

from crm import bulk, confirmations, outbox
from crm.imports import jobs


@shared_task
def relay_outbox() -> int:
    """Publish outbox events that were not processed in time.

    Safe to run twice: consumers claim each event with a conditional update, so
    a duplicate publish is a no-op.
    """
    return outbox.relay_pending()


@shared_task
def purge_outbox() -> int:
    """Delete long-processed outbox rows. Safe to run twice: it only deletes."""
    return outbox.purge_processed()


@shared_task
def run_import(job_id: int) -> None:
    """Apply a queued import. Safe to run twice: the job is claimed by a
    conditional update, and its rows are idempotent (external ids, same values)."""
    jobs.run(job_id)


@shared_task
def requeue_imports() -> int:
    """Send again imports queued long ago and never started (a lost message).
    Safe to run twice: run_import claims its job and its rows are idempotent."""
    return jobs.requeue_stale()


@shared_task
def send_capture_confirmation_event(event_id: int) -> None:
    """Mail a capture's confirmation link (an outbox event names the row).
    Safe to run twice: the row is locked and mailed only while emailed_at is
    empty, and the event is marked processed in the same transaction."""
    confirmations.send_email(event_id)


@shared_task
def run_bulk(job_id: int) -> None:
    """Apply a bulk action on the lead list (crm/bulk.py). Safe to run twice
    (acks_late redelivers it when a worker dies): each chunk is idempotent and
    the job resumes from the last chunk it finished."""
    bulk.run_job(job_id)


@shared_task
def requeue_bulk_jobs() -> int:
    """Send again bulk jobs queued long ago and never started (a lost message).
    Safe to run twice: run_bulk claims its job and its chunks are idempotent."""
    return bulk.requeue_stale()
