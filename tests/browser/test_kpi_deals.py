"""A manager reads the deal figures on the shared KPIs, in English and in
Japanese, at desktop and phone width: won revenue, ROI, win rate, sales
cycle, the forecast and the lost reasons, each with its definition.

Needs the compiled catalogue (`make messages`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.models import Campaign, Deal, DealStage, LostReason
from kpi import tasks
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def seed_deals(campaign: Campaign, rep: User) -> None:
    """Today: a ¥1,000,000 deal won after 10 days and one lost (Price); open,
    a ¥2,000,000 deal at Quote (50%) expected at the end of this month.
    The campaign cost ¥250,000: ROI 300%."""
    Campaign.objects.filter(pk=campaign.pk).update(actual_cost=Decimal(250_000))
    today = timezone.localdate()
    opened = datetime.combine(
        today - timedelta(days=10), time(9), tzinfo=timezone.get_current_timezone()
    )
    lead = factories.lead(source_campaign=campaign, created_at=opened - timedelta(days=1))
    stages = {s.name_en: s for s in DealStage.objects.all()}
    common = {"lead": lead, "owner": rep, "created_at": opened, "name": "導入"}
    Deal.objects.create(
        **common, amount=1_000_000, stage=stages["Won"], status="won", probability=100,
        close_date=today,
    )  # fmt: skip
    Deal.objects.create(
        **common, amount=500_000, stage=stages["Lost"], status="lost", probability=0,
        close_date=today, lost_reason=LostReason.objects.get(name_en="Price"), lost_note="高い",
    )  # fmt: skip
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    Deal.objects.create(
        **common, amount=2_000_000, stage=stages["Quote"], status="open", probability=50,
        expected_close_date=next_month - timedelta(days=1),
    )  # fmt: skip
    tasks.refresh_rollups()


WIDE = """[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 391 && !e.closest(".table-responsive"))
  .slice(0, 5)
  .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("language", ["en", "ja"])
def test_manager_reads_the_deal_figures(
    page: Page,
    manager: User,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    seed_deals(campaign, rep)
    log_in(page, "manager")
    page.get_by_role("link", name="KPIs").click()  # a manager lands on Team today
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_test_id("kpi-won_revenue-value")).to_have_text("¥1,000,000")
    expect(page.get_by_test_id("kpi-roi-value")).to_have_text("300.0%")
    expect(page.get_by_test_id("kpi-cost_per_won_deal-value")).to_have_text("¥250,000")
    expect(page.get_by_test_id("kpi-win_rate-value")).to_have_text("50.0%")
    days = "10.0 d" if language == "en" else "10.0 日"
    expect(page.get_by_test_id("kpi-sales_cycle-value")).to_have_text(days)
    expect(page.get_by_test_id("kpi-win_rate")).to_contain_text(
        "open deals count neither way" if language == "en" else "進行中の商談はどちらにも数えません"
    )
    forecast = page.get_by_test_id("forecast")
    expect(forecast).to_contain_text("¥1,000,000")  # ¥2,000,000 at 50%, this month
    expect(page.get_by_test_id("lost-reasons")).to_contain_text(
        "Price" if language == "en" else "価格"
    )
    # Every headline card's owner badge stays inside its card (the English
    # "Marketing and sales" overflowed the two pipeline cards at 1280 px).
    for key in ("pipeline_sourced", "pipeline_influenced", "roi", "win_rate"):
        card = page.get_by_test_id(f"kpi-{key}").bounding_box()
        badge = page.get_by_test_id(f"kpi-{key}").locator(".badge").bounding_box()
        assert card and badge and badge["x"] + badge["width"] <= card["x"] + card["width"] - 4
    screenshot(page, f"{language}-manager-kpi-deals")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("kpi-win_rate-value")).to_be_visible()
    # What sticks out of the page, outside the tables that scroll on their own,
    # once Chart.js has redrawn its canvases at the new width (it does so on
    # a ResizeObserver callback, after the viewport changed: a canvas 751 px
    # wide for a moment under a loaded CI machine).
    # (Polled from here: the page's CSP refuses wait_for_function's eval.)
    for _ in range(50):
        if page.evaluate("document.documentElement.scrollWidth") <= 390:
            break
        page.wait_for_timeout(100)
    wide = page.evaluate(WIDE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    screenshot(page, f"{language}-manager-kpi-deals-phone")
