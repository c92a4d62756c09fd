from celery import shared_task

from crm import outbox


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
