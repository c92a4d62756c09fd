"""A claim times out: untouched past the claim timeout it returns to the queue (or the next
rep in round-robin), once however many sweeps run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm.models import Lead
from handoff import services, sla
from handoff.models import Handoff, HandoffPolicy, Notification, SlaDeadline
from tests import factories
from tests.conftest import make_user
from tests.handoff.helpers import (
    CLAIM_TIMEOUT,
    breach_notices,
    business_morning_ahead,
    deadline,
    tokyo,
)
from tests.handoff.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db


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
