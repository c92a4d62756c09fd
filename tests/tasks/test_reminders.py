"""Reminders: due tasks remind their assignee in the app and by email, each
once, on the database clock; done or moved tasks send nothing.

As in tests/handoff/test_sla.py: time-machine moves the application's clock,
not the database's, so tests judge due tasks with the sweep's test-only
`now`, and tests of the production path place due times around the real time.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import LanguagePreference
from config.celery import app as celery_app
from crm.models import OutboxEvent
from crm.topics import Topic
from tasks import reminders, services
from tasks import tasks as celery_tasks
from tasks.models import Reminder, Task
from tests.conftest import make_user, wait_until
from tests.handoff.test_concurrency import run_at_once
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db


def email_events() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(topic=Topic.TASK_REMINDER_EMAIL).order_by("pk"))


def deliver_emails() -> int:
    return sum(reminders.email_reminders_event(event.pk) for event in email_events())


def test_a_due_task_reminds_its_assignee_once_in_the_app_and_by_email(rep):
    task = task_on(assignee=rep, title="Call Aoba back", due_at=timezone.now() + timedelta(hours=1))
    assert reminders.sweep().reminded == 0  # not due yet on the database clock
    later = timezone.now() + timedelta(hours=2)
    assert reminders.sweep(now=later).reminded == 1
    assert reminders.sweep(now=later).reminded == 0  # marked: a second sweep sends nothing
    reminder = Reminder.objects.get()
    assert (reminder.task, reminder.recipient, reminder.due_at) == (task, rep, task.due_at)
    assert deliver_emails() == 1
    assert deliver_emails() == 0  # the event again: already emailed
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [rep.email] and message.subject == "Task due: Call Aoba back"
    assert f"/crm/leads/{task.lead_id}/" in message.body


def test_each_reminder_is_written_in_its_recipients_language(rep, other_rep):
    LanguagePreference.objects.create(user=rep, language="ja")
    soon = timezone.now() + timedelta(hours=1)
    task_on(assignee=rep, title="青葉商事に電話", due_at=soon)
    task_on(assignee=other_rep, title="Call Aoba back", due_at=soon)
    assert reminders.sweep(now=soon + timedelta(minutes=1)).reminded == 2
    deliver_emails()
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        rep.email: "タスクの期限：青葉商事に電話",
        other_rep.email: "Task due: Call Aoba back",
    }


def test_a_task_done_before_its_time_sends_nothing(rep):
    task = task_on(assignee=rep)
    services.complete_task(task, by=rep)
    assert reminders.sweep(now=timezone.now() + timedelta(days=1)).reminded == 0
    assert not Reminder.objects.exists() and not email_events()


def test_a_task_moved_before_its_time_reminds_at_the_new_time_only(rep):
    task = task_on(assignee=rep)
    new_due = task.due_at + timedelta(days=2)
    services.update_task(task, services.TaskDetails(title=task.title, due_at=new_due, assignee=rep))
    assert reminders.sweep(now=task.due_at + timedelta(minutes=1)).reminded == 0
    assert reminders.sweep(now=new_due).reminded == 1
    assert list(Reminder.objects.values_list("due_at", flat=True)) == [new_due]


def test_a_task_moved_after_its_reminder_reminds_again(rep):
    task = task_on(assignee=rep)
    assert reminders.sweep(now=task.due_at).reminded == 1
    new_due = task.due_at + timedelta(days=1)
    services.update_task(task, services.TaskDetails(title=task.title, due_at=new_due, assignee=rep))
    assert reminders.sweep(now=new_due).reminded == 1
    assert Reminder.objects.count() == 2


def test_a_task_completed_after_the_sweep_is_not_emailed(rep):
    task = task_on(assignee=rep)
    reminders.sweep(now=task.due_at)
    services.complete_task(task, by=rep)
    assert deliver_emails() == 0 and not mail.outbox


def test_beat_runs_the_reminder_sweep_every_half_minute():
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if "sweep_task_reminders" in e["task"]
    ]
    assert [e["schedule"] for e in entries] == [timedelta(seconds=30)]
    assert entries[0]["task"] in celery_app.tasks
    assert settings.BATON_OUTBOX_ROUTES[Topic.TASK_REMINDER_EMAIL] in celery_app.tasks


def test_sweep_task_judges_on_the_database_clock(rep):
    task = task_on(assignee=rep)
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    celery_tasks.sweep_task_reminders()
    assert Reminder.objects.filter(task=task).count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sweeps_running_at_once_remind_each_task_once():
    rep = make_user("rep", "sales")
    due = timezone.now() - timedelta(minutes=1)
    created = [task_on(assignee=rep, due_at=due, title=f"T{i}") for i in range(30)]
    results = run_at_once([lambda: reminders.sweep(batch=4) for _ in range(4)])
    assert sum(r.reminded for r in results) == len(created)
    assert Reminder.objects.count() == len(created)
    ids = [i for e in email_events() for i in e.payload["reminder_ids"]]
    assert sorted(ids) == sorted(Reminder.objects.values_list("pk", flat=True))


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_sends_each_reminder_once_with_two_sweeps_at_once(celery_worker):
    """Two beat ticks at once, on the worker's two processes, then the email
    events delivered twice: each reminder is recorded and emailed once (the
    worker prints each email in its log, once)."""
    rep = make_user("rep", "sales")
    marker = f"W{timezone.now():%H%M%S%f}"
    due = timezone.now() - timedelta(minutes=1)
    created = [task_on(assignee=rep, due_at=due, title=f"{marker}-{i}") for i in range(12)]
    done = task_on(assignee=rep, due_at=due, title=f"{marker}-done")
    services.complete_task(done, by=rep)
    celery_tasks.sweep_task_reminders.delay()
    celery_tasks.sweep_task_reminders.delay()

    def settled() -> bool:
        return (
            Reminder.objects.count() == len(created)
            and not OutboxEvent.objects.filter(
                topic=Topic.TASK_REMINDER_EMAIL, processed_at__isnull=True
            ).exists()
        )

    wait_until(settled, timeout=60)
    assert all(Reminder.objects.values_list("emailed_at", flat=True))
    for event in email_events():  # delivered again, as the outbox sweep would
        OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
        celery_tasks.email_task_reminders_event.delay(event.pk)
    wait_until(settled, timeout=60)
    log = Path(celery_worker.log).read_text(errors="replace")
    for i in range(len(created)):
        assert len(re.findall(rf"Subject: Task due: {marker}-{i}\b", log)) == 1, i
    assert f"{marker}-done" not in log


def test_a_mail_server_failing_mid_event_leaves_the_sent_reminders_marked(rep, monkeypatch):
    """Each reminder is sent and marked in its own transaction: when the mail
    server fails at the third, the first two stay marked and the redelivered
    event sends only the rest."""
    soon = timezone.now() + timedelta(hours=1)
    for n in range(5):
        task_on(assignee=rep, title=f"Call {n}", due_at=soon)
    reminders.sweep(now=soon + timedelta(minutes=1))
    send = reminders._send
    calls = {"n": 0}

    def failing_at_the_third(reminder, connection):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("connection reset")
        return send(reminder, connection)

    monkeypatch.setattr(reminders, "_send", failing_at_the_third)
    assert deliver_emails() == 2
    assert Reminder.objects.filter(emailed_at__isnull=False).count() == 2
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 1
    monkeypatch.setattr(reminders, "_send", send)
    assert deliver_emails() == 3
    assert sorted(m.subject for m in mail.outbox) == [f"Task due: Call {n}" for n in range(5)]
    # One Message-ID per reminder: a repeat would carry the same one.
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert ids == {reminders.message_id(r) for r in Reminder.objects.all()}
    assert len(ids) == 5
