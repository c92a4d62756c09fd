"""A manager reads a large company's page: its people and its activities a
page at a time, each section turning its own pages while the other stays
where it is; in English and Japanese, on a desktop and a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.models import Activity, Company, Lead
from crm.views_people import ACTIVITIES_PER_PAGE, PEOPLE_PER_PAGE
from tests.browser.test_japanese import switch_to_japanese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PAGE_TWO = {"en": "Page 2 of 2", "ja": "2 / 2 ページ"}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_manager_turns_the_pages_of_a_large_company(
    page: Page,
    live_server: Any,
    manager: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    company = Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    now = timezone.now()
    people = [
        Lead.objects.create(
            family_name="青木",
            given_name=f"{n}",
            email=f"p{n}@aoba.example.jp",
            company=company,
            created_at=now - timedelta(hours=n),
        )
        for n in range(PEOPLE_PER_PAGE + 5)
    ]
    Activity.objects.bulk_create(
        Activity(lead=people[n % 5], kind="page_view", occurred_at=now - timedelta(minutes=n))
        for n in range(ACTIVITIES_PER_PAGE + 3)
    )
    log_in(page, "manager")
    if language == "ja":
        switch_to_japanese(page)
    page.goto(f"{live_server.url}{company.get_absolute_url()}")
    expect(page.get_by_test_id("company-people-count")).to_have_text(f"{PEOPLE_PER_PAGE + 5}")
    oldest = page.get_by_role("link", name=f"青木 {PEOPLE_PER_PAGE + 4}", exact=True)
    expect(oldest).to_have_count(0)
    screenshot(page, f"{language}-company-page-first-pages")

    page.get_by_test_id("people_page").get_by_role("link").last.click()
    expect(page.get_by_test_id("people_page")).to_contain_text(PAGE_TWO[language])
    expect(oldest).to_be_visible()
    page.get_by_test_id("activities_page").get_by_role("link").last.click()
    expect(page.get_by_test_id("activities_page")).to_contain_text(PAGE_TWO[language])
    expect(page.get_by_test_id("people_page")).to_contain_text(PAGE_TWO[language])
    expect(page.get_by_test_id("company-activities").locator("li")).to_have_count(3)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"{language}-company-page-second-pages-phone")
