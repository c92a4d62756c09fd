"""Routing new handoffs: the open queue, or round-robin among available reps."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction

from crm.models import Lead
from handoff import mql, notify, routing
from handoff.models import Handoff, HandoffPolicy, Notification, RepAvailability, SlaDeadline
from tests import factories
from tests.conftest import make_user
from tests.handoff.helpers import (
    notified,
)
from tests.handoff.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db


# --- Availability ---------------------------------------------------------------


def test_reps_without_an_availability_row_are_available(rep, other_rep):
    routing.set_available(other_rep, False)
    assert routing.available_reps() == [rep]
    routing.set_available(other_rep, True)
    assert routing.available_reps() == [rep, other_rep]
    assert RepAvailability.objects.count() == 1


@pytest.mark.parametrize(
    ("after", "expected"),
    [(None, 10), (10, 20), (20, 30), (30, 10), (15, 20), (99, 10)],
)
def test_next_in_turn_follows_ids_and_wraps_around(after, expected):
    reps = [User(pk=30), User(pk=10), User(pk=20)]
    chosen = routing.next_in_turn(reps, after_id=after)
    assert chosen is not None and chosen.pk == expected


def test_next_in_turn_with_nobody_is_none():
    assert routing.next_in_turn([], after_id=3) is None


# --- Open queue -------------------------------------------------------------------


def test_open_queue_notifies_available_reps_only(rep, other_rep, manager):
    routing.set_available(other_rep, False)
    handoff = factories.qualified_handoff()
    assert handoff.status == Handoff.Status.QUEUED
    assert notified(Notification.Kind.NEW_HANDOFF) == ["rep"]


def test_open_queue_tells_managers_when_the_policy_says_so(rep, manager):
    HandoffPolicy.objects.filter(pk=1).update(notify_managers=True)
    factories.qualified_handoff()
    assert notified(Notification.Kind.NEW_HANDOFF) == ["manager", "rep"]


def test_with_every_rep_away_the_managers_hear_of_the_new_lead(rep, manager):
    routing.set_available(rep, False)
    factories.qualified_handoff()
    assert notified(Notification.Kind.NEW_HANDOFF) == ["manager"]


# --- Round-robin --------------------------------------------------------------------


def test_round_robin_rotates_through_reps_in_order_and_wraps_around(
    round_robin, three_reps, manager
):
    handoffs = [factories.qualified_handoff() for _ in range(4)]
    assert [h.claimed_by for h in handoffs] == [*three_reps, three_reps[0]]
    assert HandoffPolicy.current().last_assigned_rep == three_reps[0]
    for handoff, rep in zip(handoffs, [*three_reps, three_reps[0]], strict=True):
        assert handoff.status == Handoff.Status.CLAIMED
        assert handoff.claimed_via == Handoff.ClaimedVia.ROUND_ROBIN
        assert Lead.objects.get(pk=handoff.lead_id).owner == rep
        assert list(
            Notification.objects.filter(handoff=handoff).values_list("recipient", "kind")
        ) == [(rep.pk, Notification.Kind.ASSIGNED)]


def test_round_robin_skips_an_absent_rep(round_robin, three_reps):
    first, absent, third = three_reps
    routing.set_available(absent, False)
    handoffs = [factories.qualified_handoff() for _ in range(3)]
    assert [h.claimed_by for h in handoffs] == [first, third, first]


def test_round_robin_stores_its_position_in_the_policy(round_robin, three_reps):
    factories.qualified_handoff()
    assert HandoffPolicy.current().last_assigned_rep == three_reps[0]
    # The position survives (it is a row, not process memory) and the turn
    # moves on from it, even past a rep who is away by now.
    HandoffPolicy.objects.filter(pk=1).update(last_assigned_rep=three_reps[1])
    routing.set_available(three_reps[1], False)
    assert factories.qualified_handoff().claimed_by == three_reps[2]


def test_round_robin_assignment_starts_the_clocks(round_robin, rep):
    with time_machine.travel("2026-06-01 10:00 +0900", tick=False):
        handoff = factories.qualified_handoff()
    assert handoff.claimed_at == handoff.created_at
    assert handoff.routing_delay == timedelta(0)
    kinds = set(handoff.deadlines.values_list("kind", flat=True))
    assert kinds == {SlaDeadline.Kind.FIRST_TOUCH, SlaDeadline.Kind.CLAIM_TIMEOUT}


def test_round_robin_with_nobody_available_falls_back_to_the_open_queue(round_robin, rep, manager):
    routing.set_available(rep, False)
    handoff = factories.qualified_handoff()
    assert handoff.status == Handoff.Status.QUEUED and handoff.claimed_by is None
    assert HandoffPolicy.current().last_assigned_rep is None
    assert notified(Notification.Kind.NEW_HANDOFF) == ["manager"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_handoffs_at_once_in_round_robin_go_to_different_reps():
    reps = [make_user(f"rr_rep{i}", "sales") for i in range(2)]
    HandoffPolicy.objects.filter(pk=1).update(routing=HandoffPolicy.Routing.ROUND_ROBIN)
    threshold = HandoffPolicy.current().engagement_threshold

    def hand_off(lead_id: int) -> Handoff | None:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(pk=lead_id)
            return mql.hand_off_if_qualified(lead)

    for _round in range(10):
        leads = [factories.lead(engagement_score=threshold) for _ in range(2)]
        handoffs = run_at_once([lambda pk=lead.pk: hand_off(pk) for lead in leads])
        assert sorted(h.claimed_by_id for h in handoffs) == [r.pk for r in reps]


def test_administrators_hold_every_permission_but_are_not_reps(rep, db):
    admin = make_user("admin2", "admin")
    assert admin.has_perm("handoff.claim_handoff")
    assert notify.sales_reps() == [rep]


# --- Rounds: the same news again is news -------------------------------------------
