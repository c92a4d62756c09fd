"""Claiming a handoff: exactly one rep wins, also fifty at once; the losers and the out-of-
scope see nothing of it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from crm.models import Lead
from handoff import services, views
from handoff.models import Handoff, Notification
from tests import factories
from tests.conftest import make_user
from tests.handoff.helpers import (
    audit_statuses,
)
from tests.handoff.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db


def test_first_claim_wins_and_second_claim_loses(rep, other_rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert not services.claim_handoff(handoff, rep=other_rep)
    handoff.refresh_from_db()
    assert handoff.claimed_by == rep
    assert Lead.objects.get(pk=handoff.lead_id).owner == rep


def test_claim_clears_the_notification_from_every_reps_badge(rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert Notification.objects.filter(handoff=handoff).count() == 2
    assert not Notification.objects.filter(handoff=handoff, read_at__isnull=True).exists()


def test_queue_lists_waiting_handoffs_for_reps(client_as, rep):
    handoff = factories.qualified_handoff()
    response = client_as(rep).get(reverse("handoff:queue"))
    assert response.status_code == 200
    assert handoff.lead.display_name in response.content.decode()


def test_htmx_claim_returns_the_row_claimed_by_me(client_as, rep):
    handoff = factories.qualified_handoff()
    response = client_as(rep).post(
        reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="claimed-by-me"' in body
    assert "<html" not in body
    assert "handoffClaimed" in response["HX-Trigger"]  # the lists and the badge refresh


def test_htmx_claim_lost_in_the_race_says_someone_else_has_it(
    client_as, rep, other_rep, monkeypatch
):
    handoff = factories.qualified_handoff()
    claim = services.claim_handoff

    def other_rep_gets_there_first(handoff: Handoff, *, rep: User) -> bool:
        # Between this request's fetch (still queued) and its conditional update.
        assert claim(handoff, rep=other_rep)
        return claim(handoff, rep=rep)

    monkeypatch.setattr(views.services, "claim_handoff", other_rep_gets_there_first)
    response = client_as(rep).post(
        reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-testid="claim-lost"' in response.content.decode()


def test_claim_of_a_handoff_another_rep_holds_is_404_without_the_lead(client_as, rep, other_rep):
    """Issue 15.1: the htmx claim answered with the lead's row (name, company,
    campaign, scores and why) for a handoff the rep cannot see."""
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=other_rep)
    client = client_as(rep)
    missing = client.post(reverse("handoff:claim", args=[999_999]), HTTP_HX_REQUEST="true")
    for htmx in ({"HTTP_HX_REQUEST": "true"}, {}):
        response = client.post(reverse("handoff:claim", args=[handoff.pk]), **htmx)
        assert response.status_code == 404
        assert response.content == missing.content
        assert handoff.lead.family_name not in response.content.decode()
    handoff.refresh_from_db()
    assert handoff.claimed_by == other_rep


def test_claim_without_htmx_redirects_with_a_message(client_as, rep):
    handoff = factories.qualified_handoff()
    response = client_as(rep).post(reverse("handoff:claim", args=[handoff.pk]), follow=True)
    assert "You claimed" in response.content.decode()


def test_marketer_cannot_claim(client_as, marketer):
    handoff = factories.qualified_handoff()
    assert client_as(marketer).post(reverse("handoff:claim", args=[handoff.pk])).status_code == 403
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.QUEUED


def test_rep_cannot_see_another_reps_claimed_handoff(client_as, rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=other_rep)
    assert client_as(rep).post(reverse("handoff:accept", args=[handoff.pk])).status_code == 404


@pytest.mark.django_db
def test_a_transition_that_loses_writes_nothing(rep, other_rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert not services.transition(
        handoff, source=Handoff.Status.QUEUED, to=Handoff.Status.CLAIMED, claimed_by=other_rep
    )
    handoff.refresh_from_db()
    assert handoff.claimed_by == rep
    assert audit_statuses(handoff) == [["", "queued"], ["queued", "claimed"]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_cannot_be_part_of_a_larger_transaction(rep):
    handoff = factories.qualified_handoff()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.claim_handoff(handoff, rep=rep)


# Real threads against PostgreSQL, one connection each: rounds of fifty reps.
ROUNDS = 20
CLAIMERS = 50


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_simultaneous_claims_have_exactly_one_winner_every_round():
    reps = [make_user(f"rep{i}", "sales") for i in range(CLAIMERS)]
    for _round in range(ROUNDS):
        handoff = factories.qualified_handoff()
        results = run_at_once(
            [
                lambda rep=rep, pk=handoff.pk: services.claim_handoff(
                    Handoff.objects.get(pk=pk), rep=rep
                )
                for rep in reps
            ]
        )
        assert results.count(True) == 1
        handoff.refresh_from_db()
        winner = reps[results.index(True)]
        assert handoff.claimed_by == winner
        assert Lead.objects.get(pk=handoff.lead_id).owner == winner
