"""The same pages in Japanese, after switching with the navbar button.

Needs the compiled catalogue (locale/ja/LC_MESSAGES/django.mo, `make messages`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm import capture as crm
from crm.models import Campaign, Lead
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def waiting_lead(campaign: Campaign) -> Lead:
    data = crm.CaptureData(
        email="kato@example.co.jp",
        family_name="加藤",
        given_name="真由美",
        company_name="株式会社テスト",
    )
    return factories.captured_handoff(campaign, data).lead


def switch_to_japanese(page: Page) -> None:
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("button", name="English")).to_be_visible()


def test_manager_pages_in_japanese(
    page: Page,
    manager: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    waiting_lead(campaign)
    log_in(page, "manager")  # lands on Team today
    page.get_by_role("link", name="KPIs").click()
    switch_to_japanese(page)

    expect(page.get_by_role("heading", name="共有KPI")).to_be_visible()
    expect(page.get_by_test_id("kpi-leads")).to_contain_text("新規リード数")
    expect(page.get_by_role("button", name="表示")).to_be_visible()
    screenshot(page, "ja-manager-kpi")

    page.get_by_role("link", name="キャンペーン", exact=True).click()
    expect(page.get_by_role("heading", name="キャンペーン", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="予算")).to_be_visible()
    page.get_by_role("link", name="Spring webinar").click()
    expect(page.get_by_role("heading", name="リード獲得フォーム")).to_be_visible()
    screenshot(page, "ja-manager-campaign-detail")

    page.get_by_role("link", name="リード", exact=True).first.click()
    expect(page.get_by_role("heading", name="リード", exact=True)).to_be_visible()
    expect(page.get_by_text("1件のリード")).to_be_visible()
    screenshot(page, "ja-manager-leads")

    # Family name first in Japanese.
    page.get_by_role("link", name="加藤 真由美").click()
    expect(page.get_by_role("heading", name="タイムライン")).to_be_visible()
    expect(page.get_by_text("フォーム送信").first).to_be_visible()
    screenshot(page, "ja-manager-lead-detail")

    # And back.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()


def test_rep_claims_in_japanese(
    page: Page,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    waiting_lead(campaign)
    log_in(page, "rep")  # lands on My day
    switch_to_japanese(page)
    expect(page.get_by_role("heading", name="今日の予定", exact=True)).to_be_visible()
    page.get_by_role("link", name="営業キュー").click()

    expect(page.get_by_role("heading", name="営業キュー")).to_be_visible()
    row = page.get_by_test_id("handoff-row")
    expect(row).to_contain_text("加藤 真由美")
    row.get_by_role("button", name="担当する").click()
    expect(row.get_by_test_id("claimed-by-me")).to_have_text("あなたが担当中")
    expect(row.get_by_role("button", name="受け入れる（SAL）")).to_be_visible()
    screenshot(page, "ja-rep-queue-claimed")

    page.get_by_role("link", name="通知").click()
    expect(page.get_by_role("heading", name="通知")).to_be_visible()
    screenshot(page, "ja-rep-notifications")
