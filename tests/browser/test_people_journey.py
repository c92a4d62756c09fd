"""A marketer adds a person and a company by hand, meets the duplicate
warning (opens the existing company, saves the person anyway), corrects a
phone number and reads the change in the history; in English and Japanese,
on a desktop and a phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from audit.models import Action, AuditEntry
from crm.models import Company, Lead
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def switch_language(page: Page, language: str) -> None:
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_marketer_adds_people_and_companies_and_meets_duplicates(
    page: Page,
    live_server: Any,
    marketer: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    aoba = Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    known = factories.lead(
        family_name="山田", given_name="花子", phone="03-1234-5678", company=aoba
    )
    base = live_server.url
    log_in(page, "marketer")
    switch_language(page, language)

    # A company: a new one is added; one that is already there (㈱ is 株式会社) is not.
    page.goto(f"{base}/crm/companies/")
    page.get_by_test_id("add-company").click()
    page.locator("#id_name").fill("北斗物流株式会社")
    page.locator("#id_domain").fill("hokuto.example.jp")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("company-key")).to_have_text("北斗物流")
    page.goto(f"{base}/crm/companies/new/")
    page.locator("#id_name").fill("㈱青葉商事")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("duplicate-warning")).to_be_visible()
    expect(page.get_by_test_id("save-anyway")).to_have_count(0)
    screenshot(page, f"people-company-duplicate-{language}")
    page.get_by_test_id("open-existing").click()
    expect(page).to_have_url(f"{base}{aoba.get_absolute_url()}")
    assert Company.objects.count() == 2

    # A person sharing the known person's phone number: warned, saved anyway.
    page.goto(f"{base}/crm/leads/")
    page.get_by_test_id("add-person").click()
    page.locator("#id_family_name").fill("山田")
    page.locator("#id_given_name").fill("太郎")
    page.locator("#id_family_name_kana").fill("ヤマダ")
    page.locator("#id_email").fill("taro@aoba.example.jp")
    page.locator("#id_phone").fill("０３－１２３４－５６７８")
    page.locator("#id_company_name").fill("青葉商事")
    page.get_by_test_id("save").click()
    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_be_visible()
    expect(page.get_by_test_id("duplicate-candidate")).to_have_attribute(
        "href", known.get_absolute_url()
    )
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"people-lead-duplicate-phone-{language}")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_test_id("save-anyway").click()
    expect(page.get_by_test_id("edit-lead")).to_be_visible()
    new = Lead.objects.get(email="taro@aoba.example.jp")
    assert new.company == aoba
    assert AuditEntry.objects.filter(action=Action.DUPLICATE_SAVED, object_id=str(new.pk)).exists()

    # A phone number corrected; the history says who changed it, from what to what.
    page.get_by_test_id("edit-lead").click()
    page.locator("#id_phone").fill("03-9876-5432")
    page.get_by_test_id("save").click()
    history = page.get_by_test_id("field-history")
    expect(history).to_contain_text("03-9876-5432")
    expect(history).to_contain_text("０３－１２３４－５６７８")
    expect(history).to_contain_text("電話番号" if language == "ja" else "Phone")
    screenshot(page, f"people-lead-history-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"people-lead-history-phone-{language}")
