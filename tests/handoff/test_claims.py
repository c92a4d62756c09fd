"""Claiming, accepting, rejecting and releasing handoffs, through services and views."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from crm.models import Lead, StageChange
from handoff import services, views
from handoff.models import Handoff, Notification
from tests import factories

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


def test_accept_moves_lead_to_sal(rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert services.accept_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.ACCEPTED
    assert StageChange.objects.filter(lead=handoff.lead, to_stage="sal", changed_by=rep).exists()


def test_only_the_claiming_rep_can_accept_reject_or_release(rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert not services.accept_handoff(handoff, rep=other_rep)
    assert not services.reject_handoff(handoff, rep=other_rep, reason="no_budget")
    assert not services.release_handoff(handoff, rep=other_rep)
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED


def test_reject_recycles_the_lead_with_its_reason(rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert services.reject_handoff(handoff, rep=rep, reason="no_budget", note="来期予算")
    lead = Lead.objects.get(pk=handoff.lead_id)
    assert lead.stage == Lead.Stage.RECYCLED
    assert lead.owner is None
    assert handoff.reject_reason == "no_budget"


def test_release_puts_the_handoff_back_in_the_queue(rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert services.release_handoff(handoff, rep=rep)
    assert services.claim_handoff(handoff, rep=other_rep)


# --- Views ---------------------------------------------------------------------


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


def test_reject_view_requires_a_reason(client_as, rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    client = client_as(rep)
    client.post(reverse("handoff:reject", args=[handoff.pk]), {"reason": ""})
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    client.post(
        reverse("handoff:reject", args=[handoff.pk]), {"reason": "not_a_fit", "note": "競合利用中"}
    )
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.REJECTED


def test_badge_counts_unread_notifications(client_as, rep):
    factories.qualified_handoff()
    factories.qualified_handoff()
    response = client_as(rep).get(reverse("handoff:notification_badge"))
    assert 'data-testid="notification-badge"' in response.content.decode()
    assert ">2</span>" in response.content.decode()


def test_mark_all_read_clears_the_badge(client_as, rep):
    factories.qualified_handoff()
    client = client_as(rep)
    client.post(reverse("handoff:mark_all_read"))
    assert ">0</span>" in client.get(reverse("handoff:notification_badge")).content.decode()
