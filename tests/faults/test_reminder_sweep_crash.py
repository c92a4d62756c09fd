"""A Celery worker killed (SIGKILL, the whole worker) in the middle of a
reminder sweep of many due tasks, while it also emails the reminders of the
batch it had committed; another worker is started and beat plays on.

Two holds stop the worker at known points before the kill:
- the sweep, in its second batch of 200: another session holds an
  uncommitted reminder row for a task of that batch, so the sweep's insert
  waits for it (the batch's tasks marked reminded, uncommitted);
- the emails of the first batch, at the 50th: the mail server does not
  answer it (a slow mail server), so that message is never accepted.

The dead batch rolls back with its connection; the next sweep takes its
tasks again. The first batch's email event was not processed: the outbox
sweep publishes it again, and the reminders whose email the server accepted
are marked (one transaction per reminder), so they are not sent again.
At the end every due task has one reminder, in the app (counted once in
its assignee's badge) and by email (accepted once by the mail server).
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db.models.functions import Now
from django.utils import timezone

from crm.models import OutboxEvent
from handoff import inbox
from tasks import tasks as celery_tasks
from tasks.models import Reminder, Task
from tests import factories
from tests.conftest import wait_until, worker_database_url
from tests.faults.conftest import lock_waiters, relay_until_done
from tests.faults.mailserver import MailServer

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TASKS = 450  # three sweep batches of 200, 200 and 50
HELD = 250  # a task of the second batch


@pytest.fixture
def mail_server():
    server = MailServer(stall_at=50).start()
    yield server
    server.stop()


def due_tasks(rep, other_rep) -> list[Task]:
    """TASKS open tasks, due one after another over the last hour (the sweep
    takes them in that order), half for each rep."""
    lead = factories.lead(email="aoba@example.jp")
    start = timezone.now() - timedelta(hours=1)
    return Task.objects.bulk_create(
        Task(
            title=f"Call back {n:03d}",
            due_at=start + timedelta(seconds=n),
            assignee=rep if n % 2 == 0 else other_rep,
            lead=lead,
        )
        for n in range(TASKS)
    )


def test_a_worker_killed_mid_sweep_reminds_each_task_once(
    broker, start_worker, mail_server, rep, other_rep
):
    tasks = due_tasks(rep, other_rep)
    held = tasks[HELD]
    env = {"EMAIL_URL": mail_server.url, "EMAIL_TIMEOUT": "120"}
    worker = start_worker(broker.url, name="reminders-first", env=env)

    dsn = worker_database_url()
    holder = psycopg.connect(dsn)
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tasks_reminder (task_id, recipient_id, due_at, created_at)"
                " VALUES (%s, %s, %s, now())",
                [held.pk, held.assignee_id, held.due_at],
            )
        celery_tasks.sweep_task_reminders.delay()
        # The first batch committed; the second waits on the held row; the
        # first batch's emails wait on the mail server.
        wait_until(lambda: lock_waiters(dsn) == 1, timeout=60)
        assert mail_server.stalled.wait(timeout=60)
        assert Reminder.objects.count() == 200
        assert len(mail_server.accepted) == 49
        worker.kill()
    finally:
        holder.rollback()
        holder.close()

    start_worker(broker.url, name="reminders-second", env=env)
    celery_tasks.sweep_task_reminders.delay()  # beat's next sweep
    wait_until(lambda: not Task.objects.filter(reminded_at__isnull=True).exists(), timeout=60)
    wait_until(lambda: Reminder.objects.count() == TASKS, timeout=30)
    relay_until_done(timeout=120)
    wait_until(lambda: len(mail_server.accepted) >= TASKS, timeout=60)

    # In the app: one reminder per task, to its assignee.
    reminded = Reminder.objects.values_list("task_id", "recipient_id", "due_at")
    assert sorted(reminded) == sorted((t.pk, t.assignee_id, t.due_at) for t in tasks)
    assert inbox.unread_count(rep) == inbox.unread_count(other_rep) == TASKS // 2
    # By email: each accepted once, none missing, each marked.
    sent = mail_server.subjects()
    expected = {(t.assignee.email, f"Task due: {t.title}") for t in tasks}
    assert set(sent) == expected
    assert {key: n for key, n in sent.items() if n > 1} == {}
    assert not Reminder.objects.filter(emailed_at__isnull=True).exists()
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    assert not Task.objects.filter(reminded_at__gt=Now()).exists()
