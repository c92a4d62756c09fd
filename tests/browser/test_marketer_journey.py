"""A marketer creates a campaign, a visitor fills in its hosted form, the lead shows up."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from crm.models import Activity, Campaign, Lead

# serialized_rollback: the flush after each test would drop the roles and rules
# that migrations create.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_marketer_creates_a_campaign_and_sees_its_first_lead(
    page: Page,
    browser: Browser,
    live_server: Any,
    marketer: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    log_in(page, "marketer")
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    expect(page.get_by_text("No campaigns yet.")).to_be_visible()
    screenshot(page, "marketer-campaigns-empty")

    # 1. Create the campaign through the form.
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Autumn DX seminar")
    page.get_by_label("Channel").select_option("seminar")
    page.get_by_label("Starts on").fill("2026-10-01")
    page.get_by_label("Ends on").fill("2026-10-31")
    page.get_by_label("Budget").fill("500000")
    page.get_by_label("UTM code").fill("autumn-dx")
    screenshot(page, "marketer-campaign-form")
    page.get_by_role("button", name="Create campaign").click()

    campaign = Campaign.objects.get(utm_code="autumn-dx")
    expect(page).to_have_url(re.compile(rf"/crm/campaigns/{campaign.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn DX seminar")
    expect(page.get_by_role("alert")).to_contain_text("created")
    expect(page.get_by_test_id("campaign-leads")).to_have_text("0")
    expect(page.get_by_test_id("capture-snippet")).to_contain_text(
        f"/capture/{campaign.capture_key}/"
    )
    screenshot(page, "marketer-campaign-detail-new")
    assert campaign.owner == marketer
    assert campaign.budget == 500_000

    # 2. A visitor (no session) opens the hosted form shown on the page and submits it.
    capture_url = page.get_by_test_id("capture-url").get_attribute("href")
    assert capture_url and capture_url.startswith(live_server.url)
    visitor = browser.new_context(locale="en-US")
    try:
        form = visitor.new_page()
        form.goto(capture_url)
        expect(form.get_by_role("heading", name="Autumn DX seminar")).to_be_visible()
        form.get_by_role("textbox", name="Email").fill("yamada@example.co.jp")
        form.get_by_label("Family name").fill("山田")
        form.get_by_label("Given name").fill("花子")
        form.get_by_label("Company").fill("株式会社サンプル")
        form.get_by_label("Message").fill("資料をください")
        screenshot(form, "visitor-capture-form")
        form.get_by_role("button", name="Send").click()
        expect(form.get_by_test_id("capture-thanks")).to_be_visible()
        expect(form.get_by_role("heading", name="Thank you!")).to_be_visible()
        screenshot(form, "visitor-capture-thanks")
    finally:
        visitor.close()

    # 3. Back as the marketer: one lead, with its form-submit activity. (No score
    # assertions: with Redis configured, scoring waits for a worker.)
    page.reload()
    expect(page.get_by_test_id("campaign-leads")).to_have_text("1")
    screenshot(page, "marketer-campaign-detail-one-lead")
    page.get_by_role("link", name="山田 花子").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("山田 花子")
    expect(page.get_by_text("yamada@example.co.jp")).to_be_visible()
    expect(page.get_by_test_id("timeline").get_by_text("Form submitted").first).to_be_visible()
    expect(page.get_by_text("資料をください")).to_be_visible()
    screenshot(page, "marketer-lead-detail")

    # 4. And through the lead list's search, as one looks a person up later.
    page.get_by_role("link", name="Leads").first.click()
    page.wait_for_load_state()  # htmx is deferred: typing before it loads sends nothing
    page.locator("main").get_by_label("Search").fill("山田")  # not the top bar's
    results = page.locator("#results")
    expect(results.get_by_role("link", name="山田 花子")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=%E5%B1%B1%E7%94%B0"))
    page.locator("main").get_by_label("Search").fill("nobody-here")
    expect(page.get_by_test_id("lead-count")).to_contain_text("0 leads")
    expect(results).to_contain_text("No leads match")
    screenshot(page, "marketer-lead-search")

    lead = Lead.objects.get(email="yamada@example.co.jp")
    assert lead.source_campaign == campaign
    assert list(lead.activities.values_list("kind", flat=True)) == [Activity.Kind.FORM_SUBMIT]
