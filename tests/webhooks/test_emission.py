"""Events are written where they happen, in that transaction, for the endpoints
that asked for them, and cost no query when nobody listens."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Activity, Deal
from deals import services as deal_services
from handoff import consumers, webhook_events
from handoff import services as handoff_services
from handoff.models import Handoff, HandoffPolicy
from tests import factories
from tests.api.conftest import token_client
from tests.webhooks.conftest import delivery_events, make_endpoint
from webhooks import events, services
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def types() -> list[str]:
    return list(Event.objects.order_by("created_at").values_list("type", flat=True))


def test_no_query_when_no_endpoint_listens(rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    events.subscribed_event_types()  # the cache is warm (as after the first event)
    with CaptureQueriesContext(connection) as queries:
        assert webhook_events.handoff_claimed(handoff) is None
        assert webhook_events.lead_became_mql(handoff.lead, handoff) is None
    assert queries.captured_queries == []


@pytest.fixture
def one_form_hands_off() -> None:
    """A single form submission (20 points) makes a lead an MQL."""
    HandoffPolicy.objects.filter(pk=HandoffPolicy.current().pk).update(
        fit_threshold=0, engagement_threshold=20
    )


def test_scoring_a_lead_into_mql_adds_no_query_without_endpoints(rep, one_form_hands_off):
    def queries_to_hand_off() -> int:
        lead = factories.lead()
        factories.activity_event(lead, Activity.Kind.FORM_SUBMIT)
        with CaptureQueriesContext(connection) as queries:
            assert consumers.score_waiting_events(100) == 1  # what the drain runs
        assert Handoff.objects.filter(lead=lead).exists()
        return len(queries)

    queries_to_hand_off()  # warms every cache
    baseline = queries_to_hand_off()
    make_endpoint(event_types=["deal.won"])  # listens, but not to this
    assert queries_to_hand_off() == baseline + 1  # the endpoints, read once for the cache
    assert queries_to_hand_off() == baseline
    assert not Event.objects.exists()


def test_each_event_is_emitted_where_it_happens(
    one_form_hands_off, rep, other_rep, manager, campaign
):
    endpoint = make_endpoint()
    lead = factories.lead()
    factories.activity_event(lead, Activity.Kind.FORM_SUBMIT)
    assert consumers.score_waiting_events(100) == 1
    handoff = Handoff.objects.get(lead=lead)
    assert types() == ["lead.mql"]
    mql = Event.objects.get()
    assert mql.data["lead"]["id"] == lead.pk and mql.data["lead"]["stage"] == "mql"
    assert mql.data["handoff"]["id"] == handoff.pk

    handoff_services.claim_handoff(handoff, rep=rep)
    handoff_services.reassign_handoff(handoff, to=other_rep, by=manager)
    handoff_services.accept_handoff(handoff, rep=other_rep)
    handoff_services.qualify_handoff(handoff, rep=other_rep)
    deal = deal_services.open_deal_from_handoff(
        handoff, rep=other_rep, terms=deal_services.DealTerms("導入", Decimal(1000000))
    )
    assert deal is not None
    won = token_client(other_rep).post(
        f"/api/v1/deals/{deal.pk}/win/",
        {"close_date": str(timezone.localdate()), "amount": "1000000"},
        format="json",
    )
    assert won.status_code == 200, won.content
    rejected = factories.qualified_handoff(campaign)
    handoff_services.claim_handoff(rejected, rep=rep)
    handoff_services.reject_handoff(rejected, rep=rep, reason="no_budget")

    assert types() == [
        "lead.mql",
        "handoff.claimed",
        "handoff.claimed",  # reassigned: claimed_via "reassign"
        "handoff.accepted",
        "deal.stage_changed",  # opened
        "deal.stage_changed",  # won
        "deal.won",
        "lead.mql",
        "handoff.claimed",
        "handoff.rejected",
    ]
    claimed = [e.data["handoff"] for e in Event.objects.filter(type="handoff.claimed")]
    assert {(c["claimed_by"], c["claimed_via"]) for c in claimed} >= {
        (rep.pk, "claim"),
        (other_rep.pk, "reassign"),
    }
    deal_won = Event.objects.get(type="deal.won").data["deal"]
    assert (deal_won["id"], deal_won["status"], deal_won["amount"]) == (deal.pk, "won", "1000000")
    assert deal_won["stage"]["kind"] == "won" and deal_won["stage"]["name_ja"] == "受注"
    assert Deal.objects.get(pk=deal.pk).status == "won"
    assert Delivery.objects.filter(endpoint=endpoint).count() == 10
    assert len(delivery_events(endpoint)) == 10


def test_only_active_endpoints_that_asked_get_the_event(rep, campaign):
    deals_only = make_endpoint(event_types=["deal.won"])
    claims = make_endpoint(event_types=["handoff.claimed"])
    switched_off = make_endpoint(event_types=["handoff.claimed"])
    services.update_endpoint(switched_off, changes={"is_active": False})
    handoff_services.claim_handoff(factories.qualified_handoff(campaign), rep=rep)
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [claims.pk]
    assert not Delivery.objects.filter(endpoint__in=[deals_only, switched_off]).exists()


def test_a_rolled_back_change_emits_nothing(rep, campaign):
    make_endpoint(event_types=["handoff.claimed"])
    handoff = factories.qualified_handoff(campaign)
    # start_claim joins the caller's transaction (claim_handoff is durable).
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert handoff_services.start_claim(handoff, rep=rep, via=Handoff.ClaimedVia.CLAIM)
        assert Event.objects.exists()
        raise ZeroDivisionError("the request failed later")
    assert not Event.objects.exists()
    assert delivery_events() == []
