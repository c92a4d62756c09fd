"""Winning a deal on the board changes the shared KPIs: a manager reads won
revenue and marketing ROI, a rep drags the campaign's deal across the board
with the mouse and marks it won with a close date and a final amount, and
after the minute refresh of the rollups (called here as beat calls it) the
manager's dashboard shows the higher won revenue and ROI. In English and
Japanese.

Needs the compiled catalogue (`make messages`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from crm.models import Campaign, Deal, DealStage, Lead
from kpi import tasks
from tests.browser.conftest import PASSWORD
from tests.browser.test_japanese import switch_to_japanese
from tests.browser.test_kpi_deals import seed_deals

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
MOVED = {"en": "moved to Negotiation", "ja": "を交渉に移動しました"}
WON = {"en": "is won", "ja": "を受注しました"}
MARK_WON = {"en": "Mark won", "ja": "受注にする"}


def column(page: Page, name_en: str) -> Any:
    stage = DealStage.objects.get(name_en=name_en)
    return page.locator(f'[data-testid="board-column"][data-stage="{stage.pk}"]')


def log_in_as(browser: Browser, live_server: Any, username: str, language: str) -> Page:
    """A browser of that person's own (the rep and the manager side by side)."""
    page = browser.new_context(
        locale="en-US", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800}
    ).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    if language == "ja":
        switch_to_japanese(page)
    return page


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_deal_won_on_the_board_raises_won_revenue_and_roi(
    browser: Browser,
    manager: User,
    rep: User,
    campaign: Campaign,
    live_server: Any,
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    # Today: ¥1,000,000 won from the campaign, which cost ¥250,000 (ROI
    # 300%); the campaign's ¥2,000,000 deal open at Quote.
    seed_deals(campaign, rep)
    deal = Deal.objects.get(status="open")
    dashboard = log_in_as(browser, live_server, "manager", language)
    dashboard.goto(f"{live_server.url}/kpi/")
    expect(dashboard.get_by_test_id("kpi-won_revenue-value")).to_have_text("¥1,000,000")
    expect(dashboard.get_by_test_id("kpi-roi-value")).to_have_text("300.0%")
    screenshot(dashboard, f"{language}-dashboard-before-the-win")

    # The rep drags the deal from Quote to Negotiation, then wins it at
    # ¥2,600,000 with today as its close date.
    board = log_in_as(browser, live_server, "rep", language)
    board.goto(f"{live_server.url}/deals/board/")
    card = board.locator(f'[data-deal="{deal.pk}"]')
    expect(column(board, "Quote").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    card.locator("div.small").first.drag_to(column(board, "Negotiation").locator(".deal-cards"))
    expect(board.get_by_test_id("board-notice")).to_contain_text(MOVED[language])
    expect(column(board, "Negotiation").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage.name_en == "Negotiation"
    screenshot(board, f"{language}-board-deal-in-negotiation")
    board.locator(f'[data-deal="{deal.pk}"] a').first.click()
    board.locator("#win-close-date").fill(timezone.localdate().isoformat())
    board.locator("#win-amount").fill("2600000")
    board.get_by_role("button", name=MARK_WON[language]).click()
    expect(board.get_by_role("alert").first).to_contain_text(WON[language])
    screenshot(board, f"{language}-deal-won-for-the-dashboard")
    won = Deal.objects.get(pk=deal.pk)
    assert (won.status, won.amount, won.close_date) == ("won", 2_600_000, timezone.localdate())
    assert Lead.objects.get(pk=deal.lead_id).stage == Lead.Stage.CUSTOMER

    # The rollups' minute refresh, as beat runs it; then the dashboard again:
    # ¥3,600,000 won, (3,600,000 - 250,000) / 250,000 = 1,340% ROI.
    tasks.refresh_rollups()
    dashboard.reload()
    expect(dashboard.get_by_test_id("kpi-won_revenue-value")).to_have_text("¥3,600,000")
    expect(dashboard.get_by_test_id("kpi-roi-value")).to_have_text("1,340.0%")
    expect(dashboard.get_by_test_id("kpi-cost_per_won_deal-value")).to_have_text("¥125,000")
    screenshot(dashboard, f"{language}-dashboard-after-the-win")
