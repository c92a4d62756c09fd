"""The company page: its people and activities a page at a time, with the
same queries for a company of a few people or of thousands
(bench/bench_company_page.py times it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Activity, Company, Deal, Lead, LeadScore
from crm.views_people import ACTIVITIES_PER_PAGE, PEOPLE_PER_PAGE
from handoff.models import Handoff

pytestmark = pytest.mark.django_db


def _add(company: Company, *, people: int, activities_each: int, start: int) -> list[Lead]:
    """People, their scores, activities, deals and handoffs, in bulk."""
    made = Lead.objects.bulk_create(
        Lead(family_name="山田", given_name=f"{n}", email=f"p{n}@aoba.example.jp", company=company)
        for n in range(start, start + people)
    )
    LeadScore.objects.bulk_create(LeadScore(lead=lead, fit=n) for n, lead in enumerate(made))
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(lead=lead, kind="page_view", occurred_at=now - timedelta(minutes=n * 7 + j))
        for n, lead in enumerate(made)
        for j in range(activities_each)
    )
    Deal.objects.bulk_create(Deal(lead=lead, name=f"案件 {lead.given_name}") for lead in made[:3])
    Handoff.objects.bulk_create(Handoff(lead=lead) for lead in made[:3])
    return made


def _page(client, company: Company, **query: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(company.get_absolute_url(), query)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_company_page_queries_stay_the_same_as_people_and_activities_grow(client_as, manager):
    company = Company.objects.create(name="株式会社青葉商事")
    client = client_as(manager)
    _add(company, people=5, activities_each=2, start=0)
    _page(client, company)  # the session and the permissions read once
    _small, few = _page(client, company)
    _add(company, people=PEOPLE_PER_PAGE * 2, activities_each=3, start=100)
    page, many = _page(client, company)
    assert few == many
    assert page.count('data-testid="company-activities"') == 1
    assert page.count("<tr>") == PEOPLE_PER_PAGE + 1  # the head and one page of people
    assert 'data-testid="people_page"' in page and 'data-testid="activities_page"' in page
    assert f'data-testid="company-people-count">{PEOPLE_PER_PAGE * 2 + 5}<' in page


def test_the_other_pages_of_people_and_activities_keep_each_other(client_as, manager):
    company = Company.objects.create(name="株式会社青葉商事")
    made = _add(company, people=PEOPLE_PER_PAGE + 1, activities_each=1, start=0)
    client = client_as(manager)
    first, _count = _page(client, company)
    oldest = made[0]  # the people newest first: the first one made is on page 2
    assert f"/leads/{oldest.pk}/" not in first.split("</table>")[0]
    second, _count = _page(client, company, people_page="2", activities_page="2")
    people_part = second.split("</table>")[0]
    assert f"/leads/{oldest.pk}/" in people_part
    assert "people_page=1&amp;activities_page=2#people" in second
    assert "people_page=2&amp;activities_page=1#activities" in second
    activities = second.split('data-testid="company-activities"')[1].split("</ul>")[0]
    assert activities.count("<li") == ACTIVITIES_PER_PAGE
