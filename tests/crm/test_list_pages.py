"""The campaign and company lists: each row's leads counted, fifty rows a
page, and the same statements however many rows and leads there are."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Campaign, Company, Lead

pytestmark = pytest.mark.django_db


def make_campaigns(n: int, owner, start: int = 0) -> list[Campaign]:
    return [
        Campaign.objects.create(
            name=f"Campaign {i:03}", channel="web", utm_code=f"c-{i}", owner=owner
        )
        for i in range(start, start + n)
    ]


def lead_counts(html: str, column: int = 5) -> dict[str, str]:
    """Each row's name (its first cell) and its leads column."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    found = {}
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if cells:
            name = re.sub(r"<div.*?</div>|<[^>]+>", "", cells[0], flags=re.S).strip()
            found[name] = cells[column].strip()
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


def test_each_company_shows_its_people_and_prefecture(client_as, marketer):
    aoba = Company.objects.create(name="青葉商事", name_kana="アオバショウジ", prefecture="04")
    midori = Company.objects.create(name="緑川工業")
    Company.objects.create(name="空白産業")
    Lead.objects.bulk_create(
        [Lead(email=f"a{i}@example.jp", family_name="青木", company=aoba) for i in range(2)]
        + [Lead(email="m@example.jp", family_name="緑", company=midori)]
    )
    html = client_as(marketer).get(reverse("crm:company_list"), HTTP_ACCEPT_LANGUAGE="ja")
    page = html.content.decode()
    assert lead_counts(page, column=3) == {"青葉商事": "2", "緑川工業": "1", "空白産業": "0"}
    assert "宮城県" in page and f'href="{aoba.get_absolute_url()}"' in page


def test_the_company_list_does_not_grow_its_statements(client_as, marketer):
    client = client_as(marketer)
    Company.objects.create(name="一社")
    client.get(reverse("crm:company_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("crm:company_list"))
    companies = [Company.objects.create(name=f"会社{i:03}") for i in range(60)]
    Lead.objects.bulk_create(
        Lead(email=f"p{i}@example.jp", family_name="P", company=companies[i % 60])
        for i in range(300)
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("crm:company_list")).content.decode()
    assert len(many) == len(few) and len(lead_counts(page, column=3)) == 50
