"""Reminders: when a task falls due, its assignee is told in the app and by
email, each once.

The sweep (beat, every 30 seconds, like the SLA deadlines) compares due times
with the database's clock, never with the worker's. It takes due tasks with
SKIP LOCKED and, in one transaction, marks each reminded, records its
Reminder row (unique per task and due time) and writes the outbox event that
emails them; two sweeps at once share the work, and a retried sweep finds
the tasks marked. A task done or moved before its time is not due, so
nothing is sent: done tasks are never taken, and moving a task clears its
mark for the new time (tasks.services.update_task).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models.functions import Now
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import language_of
from crm import outbox
from crm.models import OutboxEvent
from crm.topics import Topic
from handoff.notify import absolute_url
from tasks.models import Reminder, Task

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    reminded: int = 0


def sweep(*, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Remind the assignee of every open task that is due and not yet reminded.

    `now` is for tests only: None (production) compares with the database's clock.
    """
    clock = Now() if now is None else now
    # Dated by the database (its default), or by the test's clock.
    stamp = {} if now is None else {"created_at": now}
    result = SweepResult()
    while True:
        with transaction.atomic():
            due = list(
                Task.objects.select_for_update(skip_locked=True)
                .filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=clock)
                .order_by("due_at", "pk")
                .values_list("pk", "assignee_id", "due_at")[:batch]
            )
            if due:
                Task.objects.filter(pk__in=[pk for pk, _a, _d in due]).update(reminded_at=clock)
                rows = Reminder.objects.bulk_create(
                    [
                        Reminder(task_id=pk, recipient_id=who, due_at=at, **stamp)
                        for pk, who, at in due
                    ],
                    update_conflicts=True,
                    unique_fields=["task", "due_at"],
                    update_fields=["recipient"],
                )
                # Consumed by email_reminders_event, below.
                outbox.emit(Topic.TASK_REMINDER_EMAIL, {"reminder_ids": [r.pk for r in rows]})
                result.reminded += len(due)
        if len(due) < batch:
            return result


def email_reminders_event(event_id: int) -> int:
    """Consume a tasks.reminder_email event: email each reminder it lists,
    once. Returns how many went out.

    One reminder at a time, each in its own transaction: locked, sent only
    while emailed_at is empty, marked, committed. So two deliveries of the
    event never both send one (the second waits for the lock, then finds it
    marked), and a worker killed in the middle of a long event (a sweep's
    batch lists up to 200) leaves every email the mail server accepted
    marked: the redelivered event sends the rest, not the whole batch again.
    One window remains, as for handoff notifications: killed after the
    server accepted a message and before its commit, that one message goes
    again; its Message-ID (one per reminder) lets the receiving side see the
    repeat. A reminder whose task was completed since is not emailed.

    A mail server that cannot be reached leaves the event unprocessed: the
    outbox sweep delivers it again later, and the reminders emailed before
    the failure are skipped then.
    """
    event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return 0
    sent = 0
    try:
        with mail.get_connection() as connection:
            for reminder_id in sorted(event.payload["reminder_ids"]):
                sent += _email_one(reminder_id, connection)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("tasks: reminder email of event %s failed (%s)", event_id, error)
        return sent
    with transaction.atomic():
        outbox.mark_processed(event_id)
    return sent


@transaction.atomic
def _email_one(reminder_id: int, connection: object) -> int:
    """Send one reminder's email unless it went out already; 1 when sent."""
    reminder = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("recipient", "recipient__language_preference", "task")
        .filter(pk=reminder_id, emailed_at__isnull=True)
        .first()
    )
    if reminder is None or not _send(reminder, connection):
        return 0
    Reminder.objects.filter(pk=reminder.pk).update(emailed_at=timezone.now())
    return 1


def _send(reminder: Reminder, connection: object) -> bool:
    recipient = reminder.recipient
    if not recipient.email or not recipient.is_active or reminder.task.done_at is not None:
        return False
    message = build_email(reminder)
    message.to = [recipient.email]
    message.connection = connection
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refused:
        logger.warning("tasks: %s refused for reminder %s", refused, reminder.pk)
        return False
    return True


def build_email(reminder: Reminder) -> EmailMultiAlternatives:
    """The reminder email, plain text and HTML, in its recipient's language."""
    task = reminder.task
    language = language_of(reminder.recipient)
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {"task": task, "url": absolute_url(task.record_url), "due": task.due_at}
        subject = render_to_string("emails/task_reminder_subject.txt", context)
        text = render_to_string("emails/task_reminder_body.txt", context)
        html = render_to_string("emails/task_reminder_body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text.strip() + "\n",
        headers={"Message-ID": message_id(reminder)},
    )
    message.attach_alternative(html, "text/html")
    return message


def message_id(reminder: Reminder) -> str:
    """The same Message-ID whenever this reminder is emailed (its idempotency
    key for the receiving side)."""
    return f"<task-reminder-{reminder.pk}.{reminder.due_at:%Y%m%d%H%M%S}@{DNS_NAME}>"
