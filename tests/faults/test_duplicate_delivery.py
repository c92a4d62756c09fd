"""The same work reaches the workers more than once, or at the same moment.

- The drain of an event delivered 20 times (a redelivery storm: the sweep,
  Redis' restore and a retry all at the same moment) while the first one is
  held on the lead mid-task, the event claimed: the other 19 find it taken
  and stop, and the crossing it announces is applied once. The email event
  that crossing writes, delivered 20 times too, sends each rep one email:
  every pool child is held on the same rows until all of them wait there,
  then let go together.
- Two events that each take the same lead over the threshold, processed at
  the same moment by two drains in two pool children (the second event wakes
  the first drain, which waits on the lead; a second drain, as the sweep may
  send one, takes it): one handoff, one move to MQL, one notification per rep.
- Two leads crossing at the same moment under round-robin, the same way: two
  handoffs, each assigned to a different rep, each rep told once.
"""

from __future__ import annotations

import pytest

from crm.models import Lead, OutboxEvent
from handoff import tasks
from handoff.models import Handoff, HandoffPolicy, Notification
from tests import factories
from tests.conftest import wait_until
from tests.faults.conftest import (
    capture,
    drained,
    lock_waiters,
    relay_until_done,
    rows_locked,
    scores_locked,
)
from tests.faults.invariants import mailbox, problems

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHILDREN = 4


def unprocessed(topic: str) -> OutboxEvent | None:
    return OutboxEvent.objects.filter(topic=topic, processed_at__isnull=True).first()


def test_the_same_event_drained_twenty_times_at_once_is_applied_once(
    broker, start_worker, client, open_queue, mail_dir
):
    worker = start_worker(broker.url, concurrency=CHILDREN)
    lead = factories.lead(email="twenty@example.jp", family_name="山田")
    assert capture(client, open_queue, "twenty@example.jp") == 200
    wait_until(lambda: Lead.objects.get(pk=lead.pk).engagement_score == 20)

    # 1. The drain of the activity event that crosses the threshold, 20 times.
    with scores_locked(lead.pk) as dsn:
        assert capture(client, open_queue, "twenty@example.jp") == 200  # delivery 1
        wait_until(lambda: lock_waiters(dsn) == 1)  # the event claimed, the lead awaited
        event = unprocessed("activity.recorded")
        assert event is not None
        for _ in range(19):
            tasks.drain_activity_events.delay()
        # Every other delivery runs, finds the event taken (SKIP LOCKED) and stops.
        wait_until(lambda: drained(broker.url) and len(worker.running_task_pids()) == 1, timeout=60)
        assert lock_waiters(dsn) == 1
        assert unprocessed("activity.recorded") == event
        assert Lead.objects.get(pk=lead.pk).engagement_score == 20
        # Hold what comes next (the email event the crossing writes) in the queue.
        worker.consume(False)
    wait_until(lambda: not worker.running_task_pids())

    # 2. The email event the crossing wrote, 20 times, while its rows are held.
    email_event = unprocessed("notifications.email")
    assert email_event is not None
    with rows_locked("SELECT 1 FROM handoff_notification", []) as dsn:
        for _ in range(19):
            tasks.email_notifications_event.delay(email_event.pk)
        worker.consume(True)
        wait_until(lambda: lock_waiters(dsn) == CHILDREN)
    wait_until(lambda: drained(broker.url), timeout=30)

    relay_until_done()
    assert problems({"twenty@example.jp": 2}, mail_dir=str(mail_dir)) == []
    assert sum(mailbox(mail_dir).values()) == 2  # rep and other_rep, once each
    assert worker.proc is not None and worker.proc.poll() is None


def test_two_events_crossing_the_threshold_at_the_same_moment_hand_off_once(
    broker, start_worker, client, open_queue, mail_dir
):
    start_worker(broker.url, concurrency=2)
    lead = factories.lead(email="both@example.jp", family_name="山田")
    assert capture(client, open_queue, "both@example.jp") == 200
    wait_until(lambda: Lead.objects.get(pk=lead.pk).engagement_score == 20)

    with scores_locked(lead.pk) as dsn:
        # Either submit alone takes the lead from 20 to the threshold (40).
        assert capture(client, open_queue, "both@example.jp") == 200
        wait_until(lambda: lock_waiters(dsn) == 1)
        assert capture(client, open_queue, "both@example.jp") == 200  # wakes that drain
        tasks.drain_activity_events.delay()  # a second drain, as the sweep may send
        wait_until(lambda: lock_waiters(dsn) == 2)  # both children mid-task on it

    relay_until_done()
    assert problems({"both@example.jp": 3}, mail_dir=str(mail_dir)) == []
    assert Handoff.objects.get().lead_id == lead.pk


def test_two_leads_crossing_at_the_same_moment_go_to_different_reps(
    broker, start_worker, client, open_queue, rep, other_rep, mail_dir
):
    HandoffPolicy.objects.filter(pk=1).update(routing=HandoffPolicy.Routing.ROUND_ROBIN)
    start_worker(broker.url, concurrency=2)
    leads = [factories.lead(email=f"rr{n}@example.jp", family_name="山田") for n in range(2)]
    for lead in leads:
        assert capture(client, open_queue, lead.email) == 200
    wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())

    with scores_locked(*(lead.pk for lead in leads)) as dsn:
        assert capture(client, open_queue, leads[0].email) == 200
        wait_until(lambda: lock_waiters(dsn) == 1)
        assert capture(client, open_queue, leads[1].email) == 200  # wakes that drain
        tasks.drain_activity_events.delay()  # a second drain, as the sweep may send
        wait_until(lambda: lock_waiters(dsn) == 2)

    relay_until_done()
    assert problems({lead.email: 2 for lead in leads}, mail_dir=str(mail_dir)) == []
    assert set(Handoff.objects.values_list("claimed_by", flat=True)) == {rep.pk, other_rep.pk}
    assert Notification.objects.filter(kind=Notification.Kind.ASSIGNED).count() == 2
