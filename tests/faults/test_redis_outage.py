"""Redis goes away while work arrives or waits.

- Redis stopped while captures arrive: every capture is still accepted, at
  once (the outbox row commits with the activity; the publish fails fast and
  is left to the sweep), the running worker reconnects when Redis returns, and the sweep
  publishes what was written meanwhile: each event applied once, the leads
  that crossed during the outage handed off once.
- Redis killed (SIGKILL, no AOF, as on these machines) and restarted while
  twenty events wait behind a drain stuck on a lead: the drain's flag and
  wake-ups are gone with it, the worker reconnects, the drain goes on when
  the lead is let go and the sweep asks for a drain of whatever is left:
  nothing lost, nothing applied twice.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis

from crm import drain
from crm.models import Lead, OutboxEvent
from tests import factories
from tests.conftest import TEST_QUEUE, wait_until
from tests.faults.conftest import capture, lock_waiters, relay_until_done, scores_locked
from tests.faults.invariants import problems

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_captures_arriving_while_redis_is_stopped_are_accepted_and_applied_once(
    broker, start_worker, client, open_queue, mail_dir
):
    worker = start_worker(broker.url)
    emails = [f"outage{n}@example.jp" for n in range(6)]
    for email in emails:
        assert capture(client, open_queue, email) == 200
    wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())

    broker.stop()
    started = time.monotonic()
    for email in emails:  # the second submit of each: they cross during the outage
        assert capture(client, open_queue, email) == 200
    assert capture(client, open_queue, "new-in-outage@example.jp") == 200
    assert time.monotonic() - started < 7, "a capture waits on Redis"  # 0.03 s each here
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 7  # for the sweep

    broker.start()
    relay_until_done()
    assert worker.proc is not None and worker.proc.poll() is None  # it reconnected
    accepted = dict.fromkeys(emails, 2) | {"new-in-outage@example.jp": 1}
    assert problems(accepted, mail_dir=str(mail_dir)) == []
    assert Lead.objects.filter(stage=Lead.Stage.MQL).count() == 6


def test_redis_killed_and_restarted_with_work_queued_loses_nothing(
    broker, start_worker, client, open_queue, mail_dir
):
    worker = start_worker(broker.url, concurrency=1)
    queue = redis.Redis.from_url(broker.url)
    busy = factories.lead(email="busy@example.jp", family_name="山田")
    emails = [f"queued{n}@example.jp" for n in range(10)]

    with scores_locked(busy.pk) as dsn:
        assert capture(client, open_queue, "busy@example.jp") == 200
        wait_until(lambda: lock_waiters(dsn) == 1)  # the only child is stuck on it
        for email in emails:
            assert capture(client, open_queue, email) == 200
            assert capture(client, open_queue, email) == 200
        # Twenty events behind the stuck drain wake it (its flag and wake list
        # beside the queue in Redis) instead of queueing tasks.
        flag = drain.flag_key(TEST_QUEUE, "activity.recorded")
        wait_until(lambda: queue.exists(flag) and queue.llen(f"{flag}:wake") >= 1)
        assert queue.llen(TEST_QUEUE) == 0

        pid = int(queue.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not broker.is_up())
        broker.start()
        # The flag and the wake-ups died with Redis; the stuck drain goes on
        # once the lead is let go, and the sweep asks for another meanwhile.
        assert not queue.exists(flag, f"{flag}:wake")

    relay_until_done()
    assert worker.proc is not None and worker.proc.poll() is None  # it reconnected
    accepted = dict.fromkeys(emails, 2) | {"busy@example.jp": 1}
    assert problems(accepted, mail_dir=str(mail_dir)) == []
