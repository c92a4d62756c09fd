from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Company, Deal, DealStage, Lead, LostReason
from deals import services
from tests import factories


def stage(name_en: str) -> DealStage:
    return DealStage.objects.get(name_en=name_en)


def reason(name_en: str = "Price") -> LostReason:
    return LostReason.objects.get(name_en=name_en)


@pytest.fixture
def company(db: None) -> Company:
    return Company.objects.create(name="青葉商事株式会社")


@pytest.fixture
def lead(rep, campaign, company) -> Lead:
    return factories.lead(
        owner=rep, stage=Lead.Stage.SQL, company=company, source_campaign=campaign
    )


@pytest.fixture
def deal(lead, rep) -> Deal:
    return services.open_deal(
        lead, by=rep, terms=services.DealTerms(name="導入", amount=Decimal(1_000_000))
    )
