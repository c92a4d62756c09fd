"""A Celery worker dies in the middle of scoring a capture.

- A pool child killed with SIGKILL mid-drain: its transaction (events claimed,
  activities marked scored, not committed) dies with its connection once
  PostgreSQL notices; the pool starts a new child. The drain's message was
  acknowledged as it started (it only wakes a worker), so nothing is
  redelivered: the dead drain's flag expires and the outbox sweep asks for a
  new drain, which scores the events: one score, one handoff, one
  notification and one email per rep.
- The whole worker killed (main process and children) and another started:
  the captures accepted meanwhile wake the dead drain's flag, which expires;
  the outbox sweep then asks for a drain of every stale event. Everything is
  applied once.

Each scenario stops the worker mid-task by holding the lead's score row
locked from another session, then kills it while it waits.
"""

from __future__ import annotations

import os
import signal

import pytest

from crm.models import Lead
from tests import factories
from tests.conftest import wait_until
from tests.faults.conftest import (
    capture,
    lock_waiters,
    relay_until_done,
    scores_locked,
)
from tests.faults.invariants import problems

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_pool_child_killed_mid_task_is_redelivered_and_applied_once(
    broker, start_worker, client, open_queue, mail_dir
):
    worker = start_worker(broker.url)
    lead = factories.lead(email="child@example.jp", family_name="山田")
    assert capture(client, open_queue, "child@example.jp") == 200
    wait_until(lambda: Lead.objects.get(pk=lead.pk).engagement_score == 20)

    with scores_locked(lead.pk) as dsn:
        assert capture(client, open_queue, "child@example.jp") == 200  # this one crosses
        wait_until(lambda: lock_waiters(dsn) == 1)
        [pid] = wait_until(worker.running_task_pids)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: pid not in worker.children())
        # A new child takes its place; the events wait for the sweep.
        wait_until(lambda: len(worker.children()) == 2, timeout=30)

    relay_until_done()
    assert worker.proc is not None and worker.proc.poll() is None
    assert problems({"child@example.jp": 2}, mail_dir=str(mail_dir)) == []
    assert Lead.objects.get(pk=lead.pk).handoffs.count() == 1


def test_whole_worker_killed_and_restarted_loses_nothing(
    broker, start_worker, client, open_queue, mail_dir
):
    worker = start_worker(broker.url, name="faults-first")
    lead = factories.lead(email="crash@example.jp", family_name="山田")
    assert capture(client, open_queue, "crash@example.jp") == 200
    wait_until(lambda: Lead.objects.get(pk=lead.pk).engagement_score == 20)

    with scores_locked(lead.pk) as dsn:
        assert capture(client, open_queue, "crash@example.jp") == 200
        wait_until(lambda: lock_waiters(dsn) == 1)
        worker.kill()
        # Accepted while no worker runs: queued in Redis.
        for n in range(5):
            assert capture(client, open_queue, f"queued{n}@example.jp") == 200
            assert capture(client, open_queue, f"queued{n}@example.jp") == 200

    start_worker(broker.url, name="faults-second")
    relay_until_done()
    accepted = {"crash@example.jp": 2} | {f"queued{n}@example.jp": 2 for n in range(5)}
    assert problems(accepted, mail_dir=str(mail_dir)) == []
