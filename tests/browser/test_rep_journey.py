"""A rep sees a new qualified lead, claims it before a colleague, reads what marketing
learned, logs the call and the answers, accepts, qualifies and opens a deal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from crm import capture as crm
from crm.models import Answer, Campaign, Lead
from handoff.models import Handoff
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def waiting_handoff(campaign: Campaign) -> Handoff:
    data = crm.CaptureData(
        email="ito@example.co.jp",
        family_name="伊藤",
        given_name="誠",
        company_name="株式会社サンプル",
    )
    lead, _activity = crm.capture_lead(campaign, data=data)
    Answer.objects.create(lead=lead, question="headcount", answer="30名規模", source="web_form")
    return factories.captured_handoff(campaign, data)


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
    expect(row).to_contain_text("伊藤 誠")
    expect(row).to_contain_text("Spring webinar")
    screenshot(page, "rep-queue-waiting")

    # 2. A colleague has the same queue open in another browser.
    colleague_context = browser.new_context(locale="en-US")
    try:
        colleague = colleague_context.new_page()
        log_in(colleague, "other_rep")
        colleague.get_by_role("link", name="Sales queue").click()
        colleague.wait_for_load_state()
        expect(colleague.get_by_test_id("handoff-row")).to_contain_text("伊藤 誠")

        # 3. The rep claims first (htmx swaps the row in place).
        row.get_by_role("button", name="Claim").click()
        expect(row.get_by_test_id("claimed-by-me")).to_have_text("Claimed by you")
        # The lists and the badge catch up: it is one of mine now, and read.
        expect(page.get_by_test_id("queue-count")).to_have_text("0")
        expect(page.get_by_test_id("notification-badge")).to_have_text("0")
        screenshot(page, "rep-queue-claimed")

        # 4. The colleague's click comes too late: the lead is out of their
        # scope now, so the answer is a 404 that names nobody (issue 15.1),
        # and the row says the lead is no longer waiting.
        colleague_row = colleague.get_by_test_id("handoff-row")
        colleague_row.get_by_role("button", name="Claim").click()
        expect(colleague_row.get_by_test_id("claim-gone")).to_have_text(
            "This lead is no longer waiting in the queue."
        )
        expect(colleague_row).not_to_contain_text("Taro Suzuki")
        screenshot(colleague, "other-rep-queue-claim-lost")
    finally:
        colleague_context.close()

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    assert handoff.claimed_by == rep

    # 5. The rep opens the handoff and reads what marketing learned before calling.
    page.get_by_test_id("handoff-row").get_by_role("link", name="伊藤 誠").click()
    package = page.get_by_test_id("context-package")
    expect(package.get_by_test_id("context-campaign")).to_contain_text("Spring webinar")
    expect(package.get_by_test_id("answers")).to_contain_text("30名規模")
    expect(package.get_by_test_id("answers")).to_contain_text("Answered via Web form")
    expect(package.get_by_test_id("context-activities")).to_contain_text("Form submitted")
    screenshot(page, "rep-handoff-context")

    # 6. The call: logged with a note (the SLA clock stops), and what was learned.
    touch = page.get_by_test_id("touch-form")
    touch.get_by_label("What").select_option("call")
    touch.get_by_label("Note").fill("導入時期を確認。来月デモ希望。")
    touch.get_by_role("button", name="Log it").click()
    expect(page.get_by_role("alert")).to_contain_text("Call logged.")
    expect(page.get_by_test_id("touches")).to_contain_text("導入時期を確認")
    expect(page.get_by_test_id("first-touch")).to_be_visible()
    answer = page.get_by_test_id("answer-form")
    expect(answer.get_by_label("Question")).to_contain_text("Headcount ✓")
    answer.get_by_label("Question").select_option("budget")
    answer.get_by_label("Answer").fill("年間300万円まで")
    answer.get_by_label("Heard on").select_option("call")
    answer.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("answers")).to_contain_text("年間300万円まで")
    screenshot(page, "rep-handoff-call-logged")

    # 7. Accept (SAL), qualify (SQL), open the deal.
    page.get_by_role("button", name="Accept (SAL)").click()
    expect(page.get_by_role("alert")).to_contain_text("is now a sales-accepted lead")
    page.get_by_role("button", name="Qualify (SQL)").click()
    expect(page.get_by_test_id("handoff-status")).to_have_text("Qualified (SQL)")
    deal = page.get_by_test_id("deal-form")
    deal.get_by_label("Deal name").fill("サンプル社 導入")
    deal.get_by_label("Amount (JPY)").fill("3000000")
    deal.get_by_label("Expected close date").fill("2027-03-31")
    deal.get_by_role("button", name="Open a deal").click()
    expect(page.get_by_test_id("deal")).to_contain_text("サンプル社 導入")
    screenshot(page, "rep-handoff-deal")
    page.get_by_role("link", name="Lead page").click()
    expect(page.get_by_test_id("lead-stage")).to_have_text("Opportunity")
    screenshot(page, "rep-lead-detail-opportunity")

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.QUALIFIED
    assert handoff.first_touch_at is not None and handoff.rep_delay is not None
    lead = Lead.objects.get(pk=handoff.lead_id)
    assert lead.stage == Lead.Stage.OPPORTUNITY
    assert lead.deals.get().amount == 3_000_000
    assert lead.answers.get(question="budget").recorded_by == rep
