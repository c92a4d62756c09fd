"""The deal's lifecycle in deals/services.py: each rule, and each refusal as
a sentence (never the database's)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Deal, DealStageChange, Lead
from deals import services
from deals.services import DealConflict, DealRefused, DealTerms
from tests import factories
from tests.deals.conftest import reason, stage

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def test_a_deal_from_a_lead_starts_at_the_first_open_stage(deal, lead, rep, campaign):
    assert (deal.stage.name_en, deal.status, deal.probability) == ("Discovery", "open", 10)
    assert (deal.owner, deal.company, deal.source_campaign) == (rep, lead.company, campaign)
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.OPPORTUNITY
    assert list(deal.stage_changes.values_list("from_stage", "to_stage")) == [(None, deal.stage_id)]


def test_an_expansion_deal_leaves_a_customer_a_customer(rep, company):
    customer = factories.lead(owner=rep, stage=Lead.Stage.CUSTOMER, company=company)
    terms = DealTerms(name="追加", amount=Decimal(300_000), stage=stage("Quote"))
    deal = services.open_deal(customer, by=rep, terms=terms, company=company)
    assert (deal.stage.name_en, deal.probability, deal.company) == ("Quote", 50, company)
    assert Lead.objects.get(pk=customer.pk).stage == Lead.Stage.CUSTOMER


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal(-1), "The amount cannot be negative."),
        (Decimal(10**14), "Enter a whole number of yen below ¥100 trillion."),
        (Decimal("1.5"), "Enter a whole number of yen below ¥100 trillion."),
    ],
)
def test_absurd_amounts_are_refused_in_words(lead, rep, amount, message):
    with pytest.raises(DealRefused, match=message):
        services.open_deal(lead, by=rep, terms=DealTerms(name="x", amount=amount))
    assert not Deal.objects.exists()


def test_a_retired_stage_cannot_be_chosen(lead, rep, deal):
    retired = stage("Proposal")
    retired.is_retired = True
    retired.save()
    with pytest.raises(DealRefused, match="retired"):
        services.open_deal(lead, by=rep, terms=DealTerms("x", Decimal(1), stage=retired))
    with pytest.raises(DealRefused, match="retired"):
        services.move_deal(deal, to=retired, seen=deal.stage_id, by=rep)


def test_a_move_changes_stage_and_probability_and_is_on_the_timeline(deal, rep):
    moved = services.move_deal(deal, to=stage("Negotiation"), seen=deal.stage_id, by=rep)
    assert (moved.stage.name_en, moved.probability, moved.version) == ("Negotiation", 70, 2)
    assert DealStageChange.objects.filter(deal=deal).count() == 2


def test_a_move_on_a_stale_board_is_refused_not_overwritten(deal, rep, other_rep):
    seen = deal.stage_id
    services.move_deal(deal, to=stage("Quote"), seen=seen, by=other_rep)
    with pytest.raises(DealConflict, match="Someone moved this deal to “Quote” meanwhile"):
        services.move_deal(deal, to=stage("Proposal"), seen=seen, by=rep)
    assert Deal.objects.get(pk=deal.pk).stage == stage("Quote")


def test_moving_to_a_won_stage_goes_through_win(deal, rep):
    with pytest.raises(DealRefused, match="Mark a deal won or lost with its own button"):
        services.move_deal(deal, to=stage("Won"), seen=deal.stage_id, by=rep)


def test_won_closes_at_the_final_amount_and_makes_a_customer(deal, lead, rep):
    won = services.win_deal(deal, close_date=TODAY(), amount=Decimal(1_200_000), by=rep)
    assert (won.status, won.stage.name_en, won.amount, won.probability) == (
        "won",
        "Won",
        Decimal(1_200_000),
        100,
    )
    assert won.close_date == TODAY() and won.closed_at is not None
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.CUSTOMER


def test_a_deal_cannot_be_won_tomorrow(deal, rep):
    with pytest.raises(DealRefused, match="a day still to come"):
        services.win_deal(deal, close_date=TODAY() + timedelta(days=1), amount=Decimal(1), by=rep)


def test_a_closed_deal_is_neither_moved_nor_closed_again(deal, rep):
    services.win_deal(deal, close_date=TODAY(), amount=Decimal(1), by=rep)
    with pytest.raises(DealConflict, match="already closed"):
        services.move_deal(deal, to=stage("Quote"), seen=deal.stage_id, by=rep)
    with pytest.raises(DealConflict, match="already closed"):
        services.lose_deal(deal, reason=reason(), note="x", by=rep)


def test_lost_needs_a_reason_from_the_list_and_a_note(deal, rep):
    with pytest.raises(DealRefused, match="Write a note"):
        services.lose_deal(deal, reason=reason(), note="  ", by=rep)
    retired = reason("Timing")
    retired.is_retired = True
    retired.save()
    with pytest.raises(DealRefused, match="retired"):
        services.lose_deal(deal, reason=retired, note="来期", by=rep)
    lost = services.lose_deal(deal, reason=reason(), note="他社が安い", by=rep)
    assert (lost.status, lost.lost_reason, lost.lost_note, lost.probability) == (
        "lost",
        reason(),
        "他社が安い",
        0,
    )


def test_the_database_still_refuses_a_lost_deal_without_reason(deal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(status="lost")


def test_reopen_puts_a_lost_deal_back_in_the_pipeline(deal, rep):
    services.lose_deal(deal, reason=reason(), note="x", by=rep)
    reopened = services.reopen_deal(deal, to=stage("Proposal"), by=rep)
    assert (reopened.status, reopened.stage.name_en, reopened.lost_reason) == (
        "open",
        "Proposal",
        None,
    )
    with pytest.raises(DealConflict, match="open already"):
        services.reopen_deal(deal, to=stage("Proposal"), by=rep)


def test_two_edits_at_once_the_second_is_told(deal, rep, other_rep):
    services.edit_deal(deal, changes={"next_step": "見積送付"}, version=1, by=rep)
    with pytest.raises(DealConflict, match="Someone changed this deal since you opened it"):
        services.edit_deal(deal, changes={"amount": Decimal(5)}, version=1, by=other_rep)
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.next_step, fresh.amount, fresh.version) == ("見積送付", Decimal(1_000_000), 2)


def test_an_edit_checks_amount_and_probability(deal, rep):
    with pytest.raises(DealRefused, match="negative"):
        services.edit_deal(deal, changes={"amount": Decimal(-1)}, version=1, by=rep)
    with pytest.raises(DealRefused, match="percentage"):
        services.edit_deal(deal, changes={"probability": 101}, version=1, by=rep)


def test_a_deal_of_a_qualified_handoff_needs_the_rep_who_qualified_it(rep, other_rep):
    handoff = factories.qualified_handoff()
    terms = DealTerms("x", Decimal(1))
    assert services.open_deal_from_handoff(handoff, rep=rep, terms=terms) is None
    assert not Deal.objects.exists()
    del other_rep
