"""The campaign list: each campaign's leads counted, fifty campaigns a page,
and the same statements however many campaigns and leads there are."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Campaign, Lead

pytestmark = pytest.mark.django_db


def make_campaigns(n: int, owner, start: int = 0) -> list[Campaign]:
    return [
        Campaign.objects.create(
            name=f"Campaign {i:03}", channel="web", utm_code=f"c-{i}", owner=owner
        )
        for i in range(start, start + n)
    ]


def lead_counts(html: str) -> dict[str, str]:
    """Each row's campaign name and its leads column."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    found = {}
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if cells:
            name = re.sub(r"<[^>]+>", "", cells[0]).strip()
            found[name] = cells[5].strip()
    return found


def test_each_campaign_shows_the_leads_it_brought(client_as, marketer):
    autumn, spring, _quiet = make_campaigns(3, marketer)
    Lead.objects.bulk_create(
        [Lead(email=f"a{i}@example.jp", family_name="A", source_campaign=autumn) for i in range(3)]
        + [Lead(email="s@example.jp", family_name="S", source_campaign=spring)]
        + [Lead(email="n@example.jp", family_name="N")]
    )
    response = client_as(marketer).get(reverse("crm:campaign_list"))
    assert response.status_code == 200
    assert lead_counts(response.content.decode()) == {
        "Campaign 000": "3",
        "Campaign 001": "1",
        "Campaign 002": "0",
    }


def test_fifty_campaigns_a_page_newest_first(client_as, marketer):
    make_campaigns(60, marketer)
    client = client_as(marketer)
    first = client.get(reverse("crm:campaign_list")).content.decode()
    second = client.get(reverse("crm:campaign_list"), {"page": "2"}).content.decode()
    assert len(lead_counts(first)) == 50 and "Campaign 059" in first
    assert "Campaign 010" in first and "Campaign 009" not in first
    assert len(lead_counts(second)) == 10 and "Campaign 000" in second
    assert 'href="?page=2"' in first and "Page 1 of 2" in first
    # A page number that is not one shows the last page, not an error.
    assert client.get(reverse("crm:campaign_list"), {"page": "x"}).status_code == 200


def test_the_statements_do_not_grow_with_campaigns_or_leads(client_as, marketer):
    client = client_as(marketer)
    make_campaigns(2, marketer)
    client.get(reverse("crm:campaign_list"))  # sessions and caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("crm:campaign_list"))
    campaigns = make_campaigns(80, marketer, start=2)
    Lead.objects.bulk_create(
        Lead(email=f"l{i}@example.jp", family_name="L", source_campaign=campaigns[i % 80])
        for i in range(400)
    )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("crm:campaign_list"))
    assert len(many) == len(few)
