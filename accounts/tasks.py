from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task
def send_password_reset_event(event_id: int) -> None:
    """Mail the reset links an outbox event asks for.

    Safe to run twice: the event is marked processed in the transaction that
    sends, so a second delivery finds it done and sends nothing.
    """
    services.send_password_reset_event(event_id)
