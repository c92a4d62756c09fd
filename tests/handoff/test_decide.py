"""Deciding on a claimed handoff: accept (SAL), qualify (SQL) and open a deal, or reject with
a reason; only the claiming rep decides.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Deal, Lead, StageChange
from deals import services as deal_services
from handoff import services, sla
from handoff.models import Handoff
from tests import factories
from tests.handoff.helpers import (
    FIRST_TOUCH,
    audit_statuses,
    open_kinds,
)

pytestmark = pytest.mark.django_db


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


def test_accept_qualify_and_open_a_deal(client, rep, claimed):
    client.force_login(rep)
    client.post(reverse("handoff:accept", args=[claimed.pk]), {"next": "detail"})
    client.post(reverse("handoff:qualify", args=[claimed.pk]))
    claimed.refresh_from_db()
    assert claimed.status == Handoff.Status.QUALIFIED
    assert Lead.objects.get(pk=claimed.lead_id).stage == Lead.Stage.SQL
    response = client.post(
        reverse("deals:open_from_handoff", args=[claimed.pk]),
        {"name": "青葉商事 導入", "amount": "1200000", "expected_close_date": "2027-03-31"},
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=claimed.lead)
    assert (deal.owner, deal.amount, deal.status) == (rep, Decimal(1_200_000), Deal.Status.OPEN)
    assert (deal.stage.name_en, deal.probability) == ("Discovery", deal.stage.probability)
    assert str(deal.expected_close_date) == "2027-03-31"
    assert Lead.objects.get(pk=claimed.lead_id).stage == Lead.Stage.OPPORTUNITY
    page = client.get(reverse("handoff:detail", args=[claimed.pk])).content.decode()
    assert "青葉商事 導入" in page


def test_qualify_needs_the_accepting_rep(client, rep, other_rep, claimed):
    assert not services.qualify_handoff(claimed, rep=rep)  # claimed, not accepted yet
    services.accept_handoff(claimed, rep=rep)
    assert not services.qualify_handoff(claimed, rep=other_rep)
    terms = deal_services.DealTerms(name="x", amount=Decimal(1))
    assert deal_services.open_deal_from_handoff(claimed, rep=rep, terms=terms) is None
    assert not Deal.objects.exists()


def test_a_negative_amount_is_refused(client, rep, claimed):
    services.accept_handoff(claimed, rep=rep)
    services.qualify_handoff(claimed, rep=rep)
    client.force_login(rep)
    response = client.post(
        reverse("deals:open_from_handoff", args=[claimed.pk]),
        {"name": "x", "amount": "-5"},
        follow=True,
    )
    assert not Deal.objects.exists()
    assert "The amount cannot be negative." in response.content.decode()


def test_marketing_sees_why_sales_sent_a_lead_back(client, marketer, rep, claimed, campaign):
    services.reject_handoff(claimed, rep=rep, reason="bad_timing", note="来期に再検討")
    client.force_login(marketer)
    lead_page = client.get(claimed.lead.get_absolute_url()).content.decode()
    assert "Sent back to marketing: Bad timing" in lead_page and "来期に再検討" in lead_page
    assert 'data-testid="touch-form"' not in lead_page  # marketers do not log sales touches
    campaign_page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'data-testid="campaign-rejections"' in campaign_page and "Bad timing" in campaign_page


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


@pytest.mark.django_db
def test_each_step_of_a_handoff_is_one_audit_row_and_the_handoff_is_reloaded(rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.CLAIMED and handoff.claimed_by == rep
    assert services.release_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.QUEUED and handoff.claimed_by is None
    assert services.claim_handoff(handoff, rep=rep)
    assert services.accept_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.ACCEPTED
    assert services.qualify_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.QUALIFIED
    assert audit_statuses(handoff) == [
        ["", "queued"],
        ["queued", "claimed"],
        ["claimed", "queued"],
        ["queued", "claimed"],
        ["claimed", "accepted"],
        ["accepted", "qualified"],
    ]
