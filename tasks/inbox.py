"""Due-task reminders in the notification list and its badge (handoff's
inbox, which reads them through this source: handoff cannot import tasks).
The Reminder row is the notification: one per task and due time, read or
unread as the rest."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from handoff import inbox
from tasks.models import Reminder

ROW_TEMPLATE = "tasks/_reminder_notification.html"


def unread(user: User) -> int:
    return Reminder.objects.filter(recipient=user, read_at__isnull=True).count()


def latest(user: User, limit: int) -> list[inbox.Entry]:
    """The newest reminders with their tasks and records (one query)."""
    reminders = Reminder.objects.filter(recipient=user).select_related(
        "task", "task__lead", "task__company", "task__deal", "task__handoff__lead"
    )[:limit]
    return [inbox.Entry(r, r.created_at, ROW_TEMPLATE) for r in reminders]


def mark_all_read(user: User, now: datetime) -> None:
    Reminder.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


SOURCE = inbox.Source(unread=unread, latest=latest, mark_all_read=mark_all_read)
