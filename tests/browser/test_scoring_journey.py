"""A marketer changes a scoring rule: reads the preview, saves, watches the
rescore finish, and sees a lead's explanation change."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm.models import Activity, ScoringRule
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_marketer_changes_a_rule_and_the_scores_follow(
    page: Page,
    live_server,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    marketer,
    rep,
    in_process_tasks,
):
    lead = factories.lead(family_name="木村", given_name="亮")
    Activity.objects.create(lead=lead, kind="download")
    factories.set_scores(lead, engagement=15)
    downloads = ScoringRule.objects.get(kind="download")

    log_in(page, "marketer")
    page.get_by_test_id("nav-settings").click()  # configuration sits in one menu
    page.get_by_role("link", name="Scoring").click()
    expect(page.get_by_role("heading", name="Scoring rules")).to_be_visible()
    page.get_by_role("link", name="Downloaded").click()
    page.wait_for_load_state()  # htmx is deferred: the preview needs it

    page.get_by_role("spinbutton", name=re.compile(r"^Points")).fill("60")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("rules-preview")
    expect(preview).to_contain_text("1 lead would be MQL (now 0)")
    expect(preview.get_by_test_id("preview-entering-count")).to_have_text(
        "1 lead would be handed to sales"
    )
    expect(preview.get_by_test_id("preview-withdrawn-count")).to_have_text(
        "0 waiting handoffs would be withdrawn (the leads leave MQL)"
    )
    expect(preview.get_by_role("link", name="木村 亮")).to_be_visible()
    screenshot(page, "marketer-scoring-preview")
    downloads.refresh_from_db()
    assert downloads.points == 15  # a preview saves nothing

    page.get_by_role("button", name="Save and rescore").click()
    expect(page).to_have_url(re.compile(r"/scoring/$"))
    expect(page.get_by_test_id("rescore-done")).to_contain_text("1 handed off")
    screenshot(page, "marketer-scoring-rescored")

    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    expect(page.get_by_test_id("engagement-score")).to_have_text("60")
    expect(page.get_by_test_id("lead-stage")).to_have_text("MQL")
    page.get_by_test_id("score-explanation").locator("summary").first.click()
    expect(page.get_by_test_id("explanation-rule")).to_contain_text("+60")
    screenshot(page, "marketer-lead-explanation")
