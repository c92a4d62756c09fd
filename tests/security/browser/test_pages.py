"""The new pages in English and Japanese: the audit trail, the erasure
confirmation, the lead's personal-data buttons and the lockout page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm import capture as crm
from crm.models import Campaign
from handoff import services
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The new strings' Japanese arrives with the catalogue merge: elements are
# found by id, and only the English text is checked.


@pytest.mark.parametrize("language", ["en", "ja"])
def test_new_pages(
    browser: Any,
    live_server: Any,
    manager: User,
    rep: User,
    campaign: Campaign,
    settings: Any,
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    data = crm.CaptureData(email="kato@example.co.jp", family_name="加藤", given_name="真由美")
    handoff = factories.captured_handoff(campaign, data)
    services.claim_handoff(handoff, rep=rep)
    services.accept_handoff(handoff, rep=rep)
    context = browser.new_context(
        locale="ja-JP" if language == "ja" else "en-US",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": 1280, "height": 800},
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.locator("#id_username").fill("manager")
        page.locator("#id_password").fill("pw")
        page.locator("button[type=submit]").last.click()
        expect(page.get_by_test_id("current-user")).to_be_visible()

        expect(page.locator("html")).to_have_attribute("lang", language)
        page.get_by_test_id("nav-settings").click()  # the audit trail is a setting
        page.locator('nav a[href="/audit/"]').click()
        expect(page.get_by_test_id("audit-entries")).to_be_visible()
        if language == "en":
            expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
            expect(page.get_by_test_id("audit-entries")).to_contain_text("Stage changed")
        screenshot(page, f"{language}-audit-trail")
        page.locator("#id_action").select_option("stage_changed")
        page.get_by_test_id("audit-filter").click()
        expect(page.get_by_test_id("audit-entries")).to_contain_text(f"#{handoff.lead_id}")
        screenshot(page, f"{language}-audit-trail-filtered")

        page.goto(f"{live_server.url}/crm/leads/{handoff.lead_id}/")
        expect(page.get_by_test_id("personal-data")).to_be_visible()
        screenshot(page, f"{language}-lead-personal-data")
        page.get_by_test_id("erase-link").click()
        expect(page.get_by_test_id("erase-submit")).to_be_visible()
        screenshot(page, f"{language}-lead-erase")
        page.locator("#confirm-email").fill("someone@else.example")
        page.get_by_test_id("erase-submit").click()
        expect(page.locator("#confirm-email-error")).to_be_visible()
        screenshot(page, f"{language}-lead-erase-mistyped")
        page.locator("#confirm-email").fill("kato@example.co.jp")
        page.get_by_test_id("erase-submit").click()
        expect(page.get_by_role("alert").first).to_be_visible()
        screenshot(page, f"{language}-lead-erased")

        context.clear_cookies()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            page.goto(f"{live_server.url}/login/")
            page.locator("#id_username").fill("rep")
            page.locator("#id_password").fill("wrong")
            page.locator("button[type=submit]").last.click()
        expect(page.get_by_test_id("locked-out")).to_be_visible()
        screenshot(page, f"{language}-locked-out")
    finally:
        context.close()
