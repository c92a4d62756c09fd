"""Celery tasks of the tasks app (the name is the app's: `tasks.tasks`)."""

from __future__ import annotations

from celery import shared_task

from tasks import reminders


@shared_task
def sweep_task_reminders() -> None:
    """Remind the assignees of the tasks due on the database clock.

    Safe to run twice, even at once: tasks are taken with SKIP LOCKED and
    marked reminded in the transaction that records their reminders.
    """
    reminders.sweep()


@shared_task
def email_task_reminders_event(event_id: int) -> None:
    """Email the reminders an outbox event lists, each once."""
    reminders.email_reminders_event(event_id)
