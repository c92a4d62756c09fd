"""A deal's field history: who changed which term from what to what, shown on
its page; erasing the person takes the earlier versions with it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Deal
from crm.privacy.erase import erase_person
from deals import services
from tests.deals.conftest import stage

pytestmark = pytest.mark.django_db


def test_edits_and_moves_are_listed_on_the_deal_page(client, deal, rep):
    deal = services.edit_deal(
        deal, changes={"amount": Decimal(2_400_000)}, version=deal.version, by=rep
    )
    services.move_deal(deal, to=stage("Proposal"), seen=deal.stage_id, by=rep)
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert 'data-testid="field-history"' in page
    assert "2,400,000" in page  # the new amount, in the history, as amounts read
    assert "Proposal" in page
    assert "Closed at" not in page  # the system's own clock is not a term of the deal


def test_erasing_the_person_removes_the_deals_earlier_versions(deal, rep, manager):
    services.edit_deal(
        deal, changes={"next_step": "Call 山田 on 090-1234-5678"}, version=deal.version, by=rep
    )
    assert Deal.history.filter(id=deal.pk).count() >= 2  # type: ignore[attr-defined]
    erase_person(deal.lead, by=manager)
    assert not Deal.history.filter(id=deal.pk).exists()  # type: ignore[attr-defined]
    assert "090-1234-5678" not in Deal.objects.get(pk=deal.pk).next_step
