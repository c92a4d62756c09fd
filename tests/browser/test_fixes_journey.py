"""Issue 14's fixes as people meet them, in English and Japanese: the reject
form chooses no reason, a rejected handoff is read-only without dead links,
the scoring-rule form shows only its condition's fields, and a manager's
targets and configuration changes read as numbers and sentences."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm.models import Campaign
from handoff import services
from kpi import rollups
from kpi.models import Target
from tests import factories
from tests.browser.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
LOCALES = ["en-US", "ja-JP"]


def signed_in(
    browser: Browser, base: str, username: str, locale: str
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return context, page


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rep_must_choose_a_reason_and_the_rejected_handoff_stays_readable(
    browser: Browser,
    live_server: Any,
    rep: User,
    campaign: Campaign,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    context, page = signed_in(browser, live_server.url, "rep", locale)
    try:
        page.goto(f"{live_server.url}/sales/handoffs/{handoff.pk}/")
        page.locator("details.reject summary").click()
        reason = page.locator("#reject-reason")
        expect(reason).to_have_value("")  # nothing chosen for the rep
        page.locator("#reject-note").fill("来期に再検討")
        screenshot(page, f"reject-form-{locale}")
        page.locator("details.reject form button[type=submit]").click()
        # The browser refuses the form without a reason: nothing happened.
        handoff.refresh_from_db()
        assert handoff.status == "claimed"
        reason.select_option("bad_timing")
        page.locator("details.reject form button[type=submit]").click()
        expect(page.get_by_test_id("read-only")).to_be_visible()
        handoff.refresh_from_db()
        assert (handoff.status, handoff.reject_reason) == ("rejected", "bad_timing")
        # No link to the lead's page, which is marketing's again.
        expect(page.locator(f'a[href="{handoff.lead.get_absolute_url()}"]')).to_have_count(0)
        expect(page.get_by_test_id("touch-form")).to_have_count(0)
        screenshot(page, f"rejected-handoff-read-only-{locale}")
    finally:
        context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_scoring_rule_form_shows_only_the_conditions_fields(
    browser: Browser,
    live_server: Any,
    marketer: User,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    context, page = signed_in(browser, live_server.url, "marketer", locale)
    try:
        page.goto(f"{live_server.url}/sales/scoring/new/")
        page.wait_for_load_state()
        engagement_fields = ["kind", "campaign", "url_contains", "cap", "half_life_days"]
        for name in engagement_fields:
            expect(page.locator(f"#div_id_{name}")).to_be_visible()
        expect(page.locator("#div_id_value")).to_be_hidden()
        screenshot(page, f"scoring-rule-activity-{locale}")
        page.locator("#id_condition").select_option("title_contains")
        expect(page.locator("#div_id_value")).to_be_visible()
        expect(page.locator("#id_dimension")).to_have_value("fit")
        for name in engagement_fields:
            expect(page.locator(f"#div_id_{name}")).to_be_hidden()
        screenshot(page, f"scoring-rule-title-{locale}")
        page.locator("#id_condition").select_option("free_mail")
        expect(page.locator("#div_id_value")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_manager_reads_targets_freshness_and_the_configuration_trail(
    browser: Browser,
    live_server: Any,
    manager: User,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    rollups.refresh()
    ja = locale == "ja-JP"
    context, page = signed_in(browser, live_server.url, "manager", locale)
    try:
        page.goto(f"{live_server.url}/kpi/")
        expect(page.get_by_test_id("refreshed-at")).to_contain_text(
            "1 分ごとに更新" if ja else "brought up to date every minute"
        )
        page.goto(f"{live_server.url}/kpi/targets/")
        page.locator("#id_kpi").select_option("mqls")
        page.locator("#id_month").fill("2026-10")
        page.locator("#id_value").fill("30")
        page.locator("main form button[type=submit]").first.click()
        saved = "目標を保存しました：MQL数、30。" if ja else "Target saved: MQLs, 30."
        expect(page.locator(".alert-success")).to_have_text(saved)
        page.locator("#id_kpi").select_option("mqls")
        page.locator("#id_month").fill("2026-10")
        page.locator("#id_value").fill("45")
        page.locator("main form button[type=submit]").first.click()
        expect(page.get_by_test_id("targets")).to_contain_text("45")
        screenshot(page, f"kpi-targets-{locale}")
        page.get_by_test_id("delete-target").click()
        expect(page.get_by_test_id("targets")).not_to_contain_text("45")
        assert not Target.objects.exists()

        page.goto(f"{live_server.url}/audit/")
        details = page.get_by_test_id("audit-details")
        expect(details.filter(has_text="30 → 45")).to_have_count(1)
        expect(page.get_by_test_id("audit-entries")).to_contain_text(
            "設定の変更" if ja else "Configuration changed"
        )
        expect(page.get_by_test_id("audit-entries")).not_to_contain_text("30.00")
        screenshot(page, f"audit-configuration-{locale}")
    finally:
        context.close()
