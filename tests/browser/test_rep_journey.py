"""A rep sees a new qualified lead, claims it before a colleague, and accepts it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from crm import services as crm
from crm.models import Campaign, Lead
from handoff.models import Handoff
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def waiting_handoff(campaign: Campaign) -> Handoff:
    return factories.captured_handoff(
        campaign,
        crm.CaptureData(
            email="ito@example.co.jp",
            family_name="伊藤",
            given_name="誠",
            company_name="株式会社サンプル",
        ),
    )


def test_rep_claims_before_a_colleague_and_accepts(
    page: Page,
    browser: Browser,
    rep: User,
    other_rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    handoff = waiting_handoff(campaign)

    # 1. The rep lands on the queue and the badge says one new lead.
    log_in(page, "rep")
    expect(page.get_by_test_id("notification-badge")).to_have_text("1")
    page.get_by_role("link", name="Sales queue").click()
    page.wait_for_load_state()  # htmx is deferred: claiming in place needs it
    expect(page.get_by_role("heading", name="Sales queue")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_have_text("1")
    row = page.get_by_test_id("handoff-row")
    expect(row).to_contain_text("誠 伊藤")
    expect(row).to_contain_text("Spring webinar")
    screenshot(page, "rep-queue-waiting")

    # 2. A colleague has the same queue open in another browser.
    colleague_context = browser.new_context(locale="en-US")
    try:
        colleague = colleague_context.new_page()
        log_in(colleague, "other_rep")
        colleague.get_by_role("link", name="Sales queue").click()
        colleague.wait_for_load_state()
        expect(colleague.get_by_test_id("handoff-row")).to_contain_text("誠 伊藤")

        # 3. The rep claims first (htmx swaps the row in place).
        row.get_by_role("button", name="Claim").click()
        expect(row.get_by_test_id("claimed-by-me")).to_have_text("Claimed by you")
        # The lists and the badge catch up: it is one of mine now, and read.
        expect(page.get_by_test_id("queue-count")).to_have_text("0")
        expect(page.get_by_test_id("notification-badge")).to_have_text("0")
        screenshot(page, "rep-queue-claimed")

        # 4. The colleague's click loses and says who won.
        colleague_row = colleague.get_by_test_id("handoff-row")
        colleague_row.get_by_role("button", name="Claim").click()
        expect(colleague_row.get_by_test_id("claim-lost")).to_contain_text(
            "Someone else already claimed this lead (Taro Suzuki)"
        )
        screenshot(colleague, "other-rep-queue-claim-lost")
    finally:
        colleague_context.close()

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    assert handoff.claimed_by == rep

    # 5. The rep accepts: the lead becomes a sales-accepted lead (SAL).
    page.get_by_role("button", name="Accept (SAL)").click()
    expect(page.get_by_role("alert")).to_contain_text("is now a sales-accepted lead")
    expect(page.get_by_test_id("claimed-by-me")).to_have_count(0)
    screenshot(page, "rep-queue-accepted")
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="誠 伊藤").click()
    expect(page.get_by_test_id("lead-stage")).to_have_text("SAL")
    screenshot(page, "rep-lead-detail-sal")

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.ACCEPTED
    assert Lead.objects.get(pk=handoff.lead_id).stage == Lead.Stage.SAL
