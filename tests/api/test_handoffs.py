"""The sales queue through the API: claims and decisions, as on the pages."""

from __future__ import annotations

import pytest

from crm.models import Deal, Lead
from handoff import services, work
from handoff.models import Handoff
from tests import factories

pytestmark = pytest.mark.django_db

HANDOFFS = "/api/v1/handoffs/"
DEALS = "/api/v1/deals/"


def post(client, handoff, verb, body=None):
    return client.post(f"{HANDOFFS}{handoff.pk}/{verb}/", body, format="json")


def test_a_rep_works_a_lead_from_claim_to_deal_to_won(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    client = api_as(rep)
    claimed = post(client, handoff, "claim")
    assert claimed.status_code == 200
    assert (claimed.json()["status"], claimed.json()["claimed_by"]) == ("claimed", rep.pk)
    assert post(client, handoff, "accept").json()["status"] == "accepted"
    assert post(client, handoff, "qualify").json()["status"] == "qualified"
    opened = client.post(
        DEALS, {"handoff": handoff.pk, "name": "導入", "amount": "1200000"}, format="json"
    )
    assert opened.status_code == 201, opened.content
    assert Lead.objects.get(pk=handoff.lead_id).stage == Lead.Stage.OPPORTUNITY
    won = client.patch(f"{DEALS}{opened.json()['id']}/", {"stage": "won"}, format="json")
    assert won.status_code == 200, won.content
    assert won.json()["closed_at"] is not None
    assert Lead.objects.get(pk=handoff.lead_id).stage == Lead.Stage.CUSTOMER


def test_a_claim_after_another_reps_is_a_404_naming_nobody(api_as, rep, other_rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    assert post(api_as(rep), handoff, "claim").status_code == 200
    lost = post(api_as(other_rep), handoff, "claim")
    assert lost.status_code == 404  # no longer one they may see, as on the queue page
    assert lost.json() == {"detail": "Not found."}
    assert post(api_as(rep), handoff, "claim").json() == {
        "detail": "You have claimed this lead already."
    }


def test_reject_needs_a_reason_and_sends_the_lead_back(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    client = api_as(rep)
    missing = post(client, handoff, "reject", {"reason": "meh"})
    assert missing.status_code == 400
    assert set(missing.json()) == {"reason"}
    rejected = post(client, handoff, "reject", {"reason": "no_budget", "note": "来期"})
    assert rejected.json()["status"] == "rejected"
    assert Lead.objects.get(pk=handoff.lead_id).stage == Lead.Stage.RECYCLED


def test_release_puts_the_handoff_back_in_the_queue(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    response = post(api_as(rep), handoff, "release")
    assert response.json()["status"] == "queued"


def test_decisions_out_of_order_are_409_with_the_reason(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    client = api_as(rep)
    assert post(client, handoff, "accept").json() == {
        "detail": "Only the rep who claimed this lead can accept it."
    }
    services.claim_handoff(handoff, rep=rep)
    assert post(client, handoff, "qualify").status_code == 409
    opened = client.post(DEALS, {"handoff": handoff.pk, "name": "x", "amount": "1"}, format="json")
    assert opened.json() == {"detail": "Qualify the lead before opening a deal."}
    assert not Deal.objects.exists()


def test_a_lost_deal_needs_its_reason(api_as, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    services.accept_handoff(handoff, rep=rep)
    services.qualify_handoff(handoff, rep=rep)
    deal = work.open_deal(
        handoff, rep=rep, terms=work.DealTerms(name="x", amount=1, close_date=None)
    )
    assert deal is not None
    client = api_as(rep)
    url = f"{DEALS}{deal.pk}/"
    refused = client.patch(url, {"stage": "lost"}, format="json")
    assert refused.status_code == 422
    assert refused.json()["lost_reason"] == ["Say why the deal was lost."]
    assert client.patch(url, {"amount": "-5"}, format="json").status_code == 400
    lost = client.patch(url, {"stage": "lost", "lost_reason": "競合"}, format="json")
    assert lost.status_code == 200
    assert Lead.objects.get(pk=handoff.lead_id).stage == Lead.Stage.OPPORTUNITY


def test_handoff_list_is_scoped_like_the_queue(api_as, rep, other_rep, manager, campaign):
    queued = factories.qualified_handoff(campaign)
    theirs = factories.qualified_handoff(campaign)
    services.claim_handoff(theirs, rep=other_rep)

    def listed(user):
        return {row["id"] for row in api_as(user).get(HANDOFFS).json()["results"]}

    assert listed(rep) == {queued.pk}
    assert listed(manager) == {queued.pk, theirs.pk}
    assert listed(other_rep) == {queued.pk, theirs.pk}
    status_filter = api_as(manager).get(HANDOFFS, {"status": "claimed"}).json()["results"]
    assert [row["id"] for row in status_filter] == [theirs.pk]
    assert Handoff.objects.count() == 2


def test_a_manager_reassigns_a_claimed_handoff_to_another_rep(
    api_as, rep, other_rep, manager, campaign
):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    moved = post(api_as(manager), handoff, "reassign", {"rep": other_rep.pk})
    assert moved.status_code == 200, moved.content
    assert (moved.json()["claimed_by"], moved.json()["claimed_via"]) == (other_rep.pk, "reassign")
    assert Lead.objects.get(pk=handoff.lead_id).owner == other_rep
    # Already theirs: nothing to do.
    again = post(api_as(manager), handoff, "reassign", {"rep": other_rep.pk})
    assert again.status_code == 409
    assert again.json() == {"detail": "This handoff cannot be reassigned to that rep now."}


def test_reassign_only_to_a_sales_rep(api_as, rep, marketer, manager, campaign):
    handoff = factories.qualified_handoff(campaign)
    client = api_as(manager)
    for body, status in (
        ({}, 400),
        ({"rep": "x"}, 400),  # not an id: the schema forbids it
        ({"rep": marketer.pk}, 404),  # an id, but of no sales rep
        ({"rep": manager.pk}, 404),
    ):
        refused = post(client, handoff, "reassign", body)
        assert refused.status_code == status, body
        assert "rep" in refused.json()
    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.QUEUED


def test_a_settled_handoff_cannot_be_reassigned(api_as, rep, other_rep, manager, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    services.reject_handoff(handoff, rep=rep, reason="no_budget", note="")
    assert post(api_as(manager), handoff, "reassign", {"rep": other_rep.pk}).status_code == 409
