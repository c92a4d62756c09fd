"""The sales queue through the API: claims and decisions, as on the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Deal, Lead, LostReason
from deals import services as deal_services
from handoff import services
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
    won = client.post(
        f"{DEALS}{opened.json()['id']}/win/",
        {"close_date": str(timezone.localdate()), "amount": "1300000"},
        format="json",
    )
    assert won.status_code == 200, won.content
    assert won.json()["closed_at"] is not None
    assert (won.json()["status"], won.json()["amount"]) == ("won", "1300000")
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
    deal = deal_services.open_deal_from_handoff(
        handoff, rep=rep, terms=deal_services.DealTerms(name="x", amount=Decimal(1))
    )
    assert deal is not None
    client = api_as(rep)
    url = f"{DEALS}{deal.pk}/"
    reason = LostReason.objects.first()
    refused = client.post(f"{url}lose/", {"reason": reason.pk}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"note"}
    blank = client.post(f"{url}lose/", {"reason": reason.pk, "note": "  "}, format="json")
    assert blank.json() == {"detail": ["Write a note on why the deal was lost."]}
    assert client.patch(url, {"amount": "-5"}, format="json").status_code == 400
    lost = client.post(f"{url}lose/", {"reason": reason.pk, "note": "競合"}, format="json")
    assert lost.status_code == 200
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", reason.pk)
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
