"""A worker whose clock runs 45 minutes ahead (libfaketime preloaded into the
worker process and its pool children, from Debian's `faketime` package).

It scores the captures and hands off as usual, and it runs the SLA sweep. A
first-touch deadline 30 minutes away on the database clock is already past on
the worker's clock: a sweep comparing with the worker's clock would report a
breach that has not happened (the control below shows it would). The sweep
compares with the database's clock (handoff/sla.py), so only the deadline
that really is overdue is breached, each manager told once however often the
sweep runs, and the rep's first touch settles the other deadline as met.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from handoff import services, tasks, work
from handoff.models import Handoff, SlaDeadline
from tests.conftest import wait_until
from tests.faults.conftest import capture, drained, relay_until_done
from tests.faults.invariants import problems

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AHEAD = timedelta(minutes=45)


def database_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def handoff_of(email: str) -> Handoff | None:
    return Handoff.objects.filter(lead__email=email).first()


def test_a_worker_45_minutes_ahead_reports_no_false_breach(
    broker, start_worker, faketime, client, open_queue, rep, mail_dir
):
    start_worker(broker.url, name="faults-ahead", env={"LD_PRELOAD": faketime, "FAKETIME": "+45m"})
    for email in ("due-soon@example.jp", "overdue@example.jp"):
        assert capture(client, open_queue, email) == 200
        assert capture(client, open_queue, email) == 200
    due_soon = wait_until(lambda: handoff_of("due-soon@example.jp"))
    overdue = wait_until(lambda: handoff_of("overdue@example.jp"))
    # The worker wrote the handoff with its own clock: proof that it runs ahead.
    skew = due_soon.created_at - database_now()
    assert AHEAD - timedelta(minutes=2) < skew < AHEAD + timedelta(minutes=2), skew

    first_touch = SlaDeadline.objects.filter(kind=SlaDeadline.Kind.FIRST_TOUCH)
    first_touch.filter(handoff=due_soon).update(due_at=Now() + timedelta(minutes=30))
    first_touch.filter(handoff=overdue).update(due_at=Now() - timedelta(minutes=1))

    # Control: on the worker's clock, both deadlines would be breached.
    with transaction.atomic():
        assert services.sweep_deadlines(now=timezone.now() + AHEAD).breached == 2
        transaction.set_rollback(True)

    for _ in range(3):  # beat's sweep, run by the worker that is ahead
        tasks.sweep_sla_deadlines.delay()
    wait_until(lambda: first_touch.filter(handoff=overdue, breached=True).exists())
    wait_until(lambda: drained(broker.url), timeout=30)
    assert first_touch.get(handoff=due_soon).settled_at is None

    # The rep claims and calls within the SLA (the web process's clock is right).
    assert services.claim_handoff(due_soon, rep=rep)
    work.log_touch(due_soon.lead, kind="call", note="", by=rep)
    met = first_touch.get(handoff=due_soon)
    assert met.settled_at is not None and not met.breached
    tasks.sweep_sla_deadlines.delay()
    relay_until_done()
    wait_until(lambda: drained(broker.url), timeout=30)

    accepted = {"due-soon@example.jp": 3, "overdue@example.jp": 2}  # 3: the call
    assert problems(accepted, mail_dir=str(mail_dir), breached=[overdue.pk]) == []
