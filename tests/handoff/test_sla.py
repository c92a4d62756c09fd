"""SLA deadlines: due in business hours, swept on the database clock, settled by the work.

time-machine moves the application's clock but not the database's (neither
PostgreSQL's nor SQLite's). So tests that travel judge due deadlines with the
sweep's test-only `now`; tests of the production path (`sweep()` on the
database clock) place deadlines around the real time; and tests in which work
settles a deadline as met travel to a business morning after the real date,
where the deadline is still ahead on the database clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from handoff import services, sla, tasks
from handoff.models import Handoff, Notification, SlaDeadline
from tests import factories
from tests.conftest import make_user
from tests.handoff.helpers import (
    CLAIM_TIMEOUT,
    FIRST_TOUCH,
    breach_notices,
    business_morning_ahead,
    deadline,
    tokyo,
)

pytestmark = pytest.mark.django_db


# --- Business hours -----------------------------------------------------------


def test_friday_evening_handoff_is_due_monday_morning_and_not_breached_on_saturday(
    policy, rep, manager
):
    with time_machine.travel(tokyo(2026, 6, 5, 17, 30), tick=False):  # a Friday
        handoff = factories.qualified_handoff()
    first_touch = deadline(handoff, FIRST_TOUCH)
    assert first_touch.due_at == tokyo(2026, 6, 8, 9, 30)  # Monday
    assert services.sweep_deadlines(now=tokyo(2026, 6, 6, 12, 0)).breached == 0  # Saturday
    assert services.sweep_deadlines(now=tokyo(2026, 6, 8, 9, 29)).breached == 0
    first_touch.refresh_from_db()
    assert first_touch.settled_at is None and not first_touch.breached
    assert breach_notices() == []


@pytest.mark.parametrize(
    ("created", "due", "closed_day"),
    [
        # Marine Day, a Monday holiday.
        (tokyo(2026, 7, 17, 17, 30), tokyo(2026, 7, 21, 9, 30), tokyo(2026, 7, 20, 12, 0)),
        # Golden Week: May 4-6 (the 6th as the substitute for Sunday the 3rd).
        (tokyo(2026, 5, 1, 17, 30), tokyo(2026, 5, 7, 9, 30), tokyo(2026, 5, 6, 17, 0)),
    ],
)
def test_deadline_skips_japanese_public_holidays(policy, rep, manager, created, due, closed_day):
    with time_machine.travel(created, tick=False):
        handoff = factories.qualified_handoff()
    assert deadline(handoff, FIRST_TOUCH).due_at == due
    assert services.sweep_deadlines(now=closed_day).breached == 0
    assert services.sweep_deadlines(now=due).breached == 1
    assert deadline(handoff, FIRST_TOUCH).breached


# --- Breaches -----------------------------------------------------------------


def test_breach_notifies_each_manager_exactly_once_even_when_the_sweep_runs_twice(
    policy, rep, manager
):
    make_user("manager2", "manager")
    with time_machine.travel(tokyo(2026, 6, 1, 10, 0), tick=False):
        handoff = factories.qualified_handoff()
    late = tokyo(2026, 6, 1, 11, 1)
    assert services.sweep_deadlines(now=late).breached == 1
    assert services.sweep_deadlines(now=late).breached == 0
    assert breach_notices() == ["manager", "manager2"]
    first_touch = deadline(handoff, FIRST_TOUCH)
    assert first_touch.breached and first_touch.settled_at == late
    # Reps hear of new leads, not of breaches.
    assert not Notification.objects.filter(recipient=rep, kind=Notification.Kind.SLA_BREACH)


def test_sweep_judges_on_the_database_clock_not_the_workers(policy, rep, manager):
    handoff = factories.qualified_handoff()
    first_touch = deadline(handoff, FIRST_TOUCH)
    real_now = timezone.now()
    SlaDeadline.objects.filter(pk=first_touch.pk).update(due_at=real_now + timedelta(minutes=30))
    # A worker whose clock is 45 minutes ahead sees no breach that has not happened.
    with time_machine.travel(real_now + timedelta(minutes=45)):
        assert services.sweep_deadlines().breached == 0
    assert breach_notices() == []
    SlaDeadline.objects.filter(pk=first_touch.pk).update(due_at=real_now - timedelta(minutes=1))
    # Nor does one 45 minutes behind miss one that has.
    with time_machine.travel(real_now - timedelta(minutes=45)):
        assert services.sweep_deadlines().breached == 1
    assert breach_notices() == ["manager"]


# --- First touch --------------------------------------------------------------


def test_first_touch_in_time_settles_the_deadlines_and_stores_both_delays(policy, rep, manager):
    morning = business_morning_ahead()
    with time_machine.travel(morning, tick=False) as traveller:
        handoff = factories.qualified_handoff()
        traveller.shift(timedelta(minutes=10))
        assert services.claim_handoff(handoff, rep=rep)
        traveller.shift(timedelta(minutes=15))
        touched = sla.record_first_touch(handoff.lead, timezone.now())
    assert touched is not None and touched.pk == handoff.pk
    handoff.refresh_from_db()
    assert handoff.first_touch_at == morning + timedelta(minutes=25)
    assert handoff.routing_delay == timedelta(minutes=10)
    assert handoff.rep_delay == timedelta(minutes=15)
    for kind in (FIRST_TOUCH, CLAIM_TIMEOUT):
        settled = deadline(handoff, kind)
        assert settled.settled_at is not None and not settled.breached
    assert services.sweep_deadlines(now=morning + timedelta(days=3)).breached == 0
    assert breach_notices() == []


def test_only_the_first_touch_counts(policy, rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    first = timezone.now()
    assert sla.record_first_touch(handoff.lead, first) is not None
    assert sla.record_first_touch(handoff.lead, first + timedelta(hours=1)) is None
    handoff.refresh_from_db()
    assert handoff.first_touch_at == first


def test_a_touch_on_a_lead_nobody_has_claimed_stops_no_clock(policy, rep):
    handoff = factories.qualified_handoff()
    assert sla.record_first_touch(handoff.lead, timezone.now()) is None
    assert deadline(handoff, FIRST_TOUCH).settled_at is None


def test_a_touch_logged_after_the_deadline_is_still_a_breach(policy, rep, manager):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    SlaDeadline.objects.filter(handoff=handoff, kind=FIRST_TOUCH).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    assert sla.record_first_touch(handoff.lead, timezone.now()) is not None
    assert deadline(handoff, FIRST_TOUCH).settled_at is None  # the sweep's to judge
    assert services.sweep_deadlines().breached == 1
    assert breach_notices() == ["manager"]
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED  # the touch kept the claim


# --- Claim timeout ------------------------------------------------------------


# --- Decisions ----------------------------------------------------------------


# --- The periodic task --------------------------------------------------------


def test_beat_runs_the_sweep_task_every_half_minute():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if "sweep_sla" in e["task"]]
    assert [e["schedule"] for e in entries] == [timedelta(seconds=30)]
    assert entries[0]["task"] in celery_app.tasks


def test_sweep_task_breaches_what_is_due_on_the_database_clock(policy, rep, manager):
    handoff = factories.qualified_handoff()
    SlaDeadline.objects.filter(handoff=handoff).update(due_at=timezone.now() - timedelta(seconds=1))
    tasks.sweep_sla_deadlines()
    assert breach_notices() == ["manager"]
