"""Every API list runs the same number of queries for 2 rows as for 12."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Activity, Answer, Campaign, Company, Deal
from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


def add_handoff(user: User) -> None:
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=user)


def add_deal(user: User) -> None:
    Deal.objects.create(lead=factories.lead(owner=user), name="導入", owner=user)


def add_campaign(user: User) -> None:
    n = Campaign.objects.count()
    Campaign.objects.create(name=f"c{n}", channel="web", utm_code=f"c{n}", owner=user)


LISTS: dict[str, Callable[[User], object]] = {
    "/api/v1/leads/": lambda user: factories.lead(owner=user, engagement_score=5),
    "/api/v1/companies/": lambda user: Company.objects.create(
        name=f"会社{Company.objects.count()}"
    ),
    "/api/v1/campaigns/": add_campaign,
    "/api/v1/activities/": lambda user: Activity.objects.create(
        lead=factories.lead(owner=user), kind="call", actor=user
    ),
    "/api/v1/deals/": add_deal,
    "/api/v1/handoffs/": add_handoff,
}


@pytest.mark.parametrize("url", sorted(LISTS))
def test_list_queries_do_not_grow_with_rows(api_as, rep, url):
    client = api_as(rep)
    client.get(url)  # the token's first use is recorded once
    add = LISTS[url]
    for _ in range(2):
        add(rep)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["results"]) == 2
    for _ in range(10):
        add(rep)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) == 12
    assert len(many) == len(few)


def test_answer_list_queries_do_not_grow_with_rows(api_as, rep):
    lead = factories.lead(owner=rep)
    client = api_as(rep)
    url = f"/api/v1/leads/{lead.pk}/answers/"
    client.get(url)  # the token's first use is recorded once
    Answer.objects.create(lead=lead, question="need", answer="a", source="call")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        Answer.objects.create(lead=lead, question="budget", answer=str(i), source="call")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()) == 11
    assert len(many) == len(few)
