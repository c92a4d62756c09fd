"""SLA deadlines: due in business hours, swept on the database clock, settled by the work.

time-machine moves the application's clock but not the database's (neither
PostgreSQL's nor SQLite's). So tests that travel judge due deadlines with the
sweep's test-only `now`; tests of the production path (`sweep()` on the
database clock) place deadlines around the real time; and tests in which work
settles a deadline as met travel to a business morning after the real date,
where the deadline is still ahead on the database clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from crm.models import Lead
from handoff import services, sla, tasks
from handoff.business_hours import BusinessHours
from handoff.models import Handoff, HandoffPolicy, Notification, SlaDeadline
from tests import factories
from tests.conftest import make_user
from tests.handoff.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_TOUCH = SlaDeadline.Kind.FIRST_TOUCH
CLAIM_TIMEOUT = SlaDeadline.Kind.CLAIM_TIMEOUT


def tokyo(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def deadline(handoff: Handoff, kind: str) -> SlaDeadline:
    """The handoff's latest deadline of `kind`."""
    return SlaDeadline.objects.filter(handoff=handoff, kind=kind).latest("pk")


def breach_notices() -> list[str]:
    return sorted(
        Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).values_list(
            "recipient__username", flat=True
        )
    )


def business_morning_ahead() -> datetime:
    """10:00 in Tokyo on a business day at least a week after the real date:
    a deadline opened there is still ahead on the database's clock."""
    hours = BusinessHours()
    day = datetime.now(TOKYO).date() + timedelta(days=7)
    while not hours.is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=TOKYO)


@pytest.fixture
def policy() -> HandoffPolicy:
    HandoffPolicy.objects.filter(pk=1).update(
        first_touch_sla_minutes=60,
        claim_timeout_minutes=30,
        business_day_start=time(9, 0),
        business_day_end=time(18, 0),
    )
    return HandoffPolicy.current()


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


def test_untouched_claim_returns_to_the_queue_and_reps_are_told(policy, rep, other_rep):
    with time_machine.travel(tokyo(2026, 6, 1, 10, 0), tick=False) as traveller:
        handoff = factories.qualified_handoff()
        traveller.shift(timedelta(minutes=5))
        services.claim_handoff(handoff, rep=rep)
    timeout = deadline(handoff, CLAIM_TIMEOUT)
    assert timeout.due_at == tokyo(2026, 6, 1, 10, 35)
    assert services.sweep_deadlines(now=tokyo(2026, 6, 1, 10, 34)).returned == 0
    result = services.sweep_deadlines(now=tokyo(2026, 6, 1, 10, 35))
    assert (result.returned, result.breached) == (1, 0)  # the first touch is due at 11:00
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.QUEUED
    assert (handoff.claimed_by, handoff.claimed_at, handoff.claimed_via) == (None, None, "")
    assert handoff.routing_delay == timedelta(minutes=5)
    assert Lead.objects.get(pk=handoff.lead_id).owner is None
    timeout.refresh_from_db()
    assert timeout.breached and timeout.settled_at is not None
    returned = Notification.objects.filter(handoff=handoff, kind=Notification.Kind.RETURNED)
    assert list(returned.values_list("recipient__username", flat=True)) == ["other_rep"]
    # The next claim keeps the first routing delay and starts its own timeout.
    with time_machine.travel(tokyo(2026, 6, 1, 10, 40), tick=False):
        assert services.claim_handoff(handoff, rep=other_rep)
    handoff.refresh_from_db()
    assert handoff.routing_delay == timedelta(minutes=5)
    assert deadline(handoff, CLAIM_TIMEOUT).due_at == tokyo(2026, 6, 1, 11, 10)


def test_touched_claim_stays_with_its_rep(policy, rep):
    morning = business_morning_ahead()
    with time_machine.travel(morning, tick=False) as traveller:
        handoff = factories.qualified_handoff()
        services.claim_handoff(handoff, rep=rep)
        traveller.shift(timedelta(minutes=5))
        sla.record_first_touch(handoff.lead, timezone.now())
    assert services.sweep_deadlines(now=morning + timedelta(hours=2)).returned == 0
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED and handoff.claimed_by == rep


def test_in_round_robin_an_untouched_claim_goes_to_the_next_rep(policy, rep, other_rep):
    HandoffPolicy.objects.filter(pk=1).update(routing=HandoffPolicy.Routing.ROUND_ROBIN)
    with time_machine.travel(tokyo(2026, 6, 1, 10, 0), tick=False):
        handoff = factories.qualified_handoff()
    first = handoff.claimed_by
    assert first is not None
    with time_machine.travel(tokyo(2026, 6, 1, 10, 30), tick=False):
        assert services.sweep_deadlines(now=tokyo(2026, 6, 1, 10, 30)).returned == 1
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    assert handoff.claimed_by not in (None, first)
    assert handoff.claimed_via == Handoff.ClaimedVia.ROUND_ROBIN
    assert handoff.routing_delay == timedelta(0)  # assigned at the MQL moment
    assert deadline(handoff, CLAIM_TIMEOUT).due_at == tokyo(2026, 6, 1, 11, 0)
    assert Notification.objects.filter(
        handoff=handoff, recipient=handoff.claimed_by, kind=Notification.Kind.ASSIGNED
    ).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sweeps_running_at_once_act_on_each_deadline_once(policy):
    make_user("rep", "sales")
    make_user("manager", "manager")
    with time_machine.travel(tokyo(2026, 6, 1, 10, 0), tick=False):
        handoffs = [factories.qualified_handoff() for _ in range(20)]
    late = tokyo(2026, 6, 1, 11, 0)
    results = run_at_once([lambda: services.sweep_deadlines(now=late, batch=3) for _ in range(4)])
    assert sum(result.breached for result in results) == len(handoffs)
    assert len(breach_notices()) == len(handoffs)


def test_two_sweeps_return_a_claim_once(policy, rep, other_rep):
    with time_machine.travel(tokyo(2026, 6, 1, 10, 0), tick=False):
        handoff = factories.qualified_handoff()
        services.claim_handoff(handoff, rep=rep)
    late = tokyo(2026, 6, 1, 10, 31)
    assert services.sweep_deadlines(now=late).returned == 1
    assert services.sweep_deadlines(now=late).returned == 0
    assert SlaDeadline.objects.filter(handoff=handoff, kind=CLAIM_TIMEOUT).count() == 1


# --- Decisions ----------------------------------------------------------------


def open_kinds(handoff: Handoff) -> set[str]:
    return set(handoff.deadlines.filter(settled_at__isnull=True).values_list("kind", flat=True))


def test_release_ends_the_claim_timeout_and_the_first_touch_sla_runs_on(policy, rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert open_kinds(handoff) == {FIRST_TOUCH, CLAIM_TIMEOUT}
    assert services.release_handoff(handoff, rep=rep)
    assert open_kinds(handoff) == {FIRST_TOUCH}
    assert not deadline(handoff, CLAIM_TIMEOUT).breached
    # The other reps hear it is back; the rep who let it go does not.
    returned = Notification.objects.filter(handoff=handoff, kind=Notification.Kind.RETURNED)
    assert list(returned.values_list("recipient__username", flat=True)) == ["other_rep"]


def test_accepting_without_a_touch_keeps_the_first_touch_sla(policy, rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    services.accept_handoff(handoff, rep=rep)
    assert open_kinds(handoff) == {FIRST_TOUCH}
    handoff.refresh_from_db()
    assert sla.record_first_touch(handoff.lead, timezone.now()) is not None
    assert open_kinds(handoff) == set()


def test_reject_settles_every_deadline_without_a_breach(policy, rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    services.reject_handoff(handoff, rep=rep, reason="not_a_fit")
    assert open_kinds(handoff) == set()
    assert not handoff.deadlines.filter(breached=True).exists()


def test_withdrawal_settles_every_deadline(policy, rep):
    handoff = factories.qualified_handoff()
    assert services.withdraw_handoff(handoff.pk)
    assert open_kinds(handoff) == set()


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
