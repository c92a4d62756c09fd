"""A rep's session ends while a call note is being typed: the top bar shows a
message (not the login page), the note survives the submit and the login,
and the login leads back to the handoff's page (not to a POST-only URL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from crm.models import Activity, Campaign
from handoff import services
from tests import factories
from tests.browser.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOTE = "予算は来期。4月に再連絡する"
TEXT = {
    "en-US": {
        "ended": "Your session has ended after a while without activity.",
        "login": "Log in",
        "restored": "Your session had ended before this form was saved.",
        "logged": "Call logged.",
    },
    "ja-JP": {
        "ended": "しばらく操作がなかったため、セッションが終了しました。",
        "login": "ログイン",
        "restored": "このフォームを保存する前にセッションが終了していました。",
        "logged": "電話を記録しました。",
    },
}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    fill_login(page, username)
    expect(page.get_by_test_id("current-user")).to_be_visible()


def fill_login(page: Page, username: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_a_note_typed_before_the_timeout_survives_it(
    browser: Browser,
    live_server: Any,
    rep: User,
    campaign: Campaign,
    settings: Any,
    screenshot: Callable[[Page, str], Path],
    locale: str,
) -> None:
    settings.BATON_SESSION_IDLE_TIMEOUT = timedelta(seconds=4)
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    text = TEXT[locale]
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        log_in(page, live_server.url, "rep")
        page.goto(f"{live_server.url}/sales/handoffs/{handoff.pk}/")
        page.wait_for_load_state()
        page.locator("#touch-note").fill(NOTE)

        # 1. The badge polls every 3 s and does not keep the session alive:
        # once it ends, the page says so and the top bar keeps its badge.
        notice = page.get_by_test_id("session-ended")
        expect(notice).to_be_visible(timeout=15_000)
        expect(notice).to_contain_text(text["ended"])
        expect(page.locator("nav #id_username")).to_have_count(0)
        expect(page.get_by_test_id("notification-badge")).to_be_visible()
        screenshot(page, f"session-ended-{locale}")

        # 2. The note is sent after the timeout: the login page says why it
        # is shown, and the login leads back to the handoff's page.
        page.get_by_test_id("touch-form").get_by_role("button").click()
        expect(page.get_by_test_id("session-ended-login")).to_be_visible()
        screenshot(page, f"session-ended-login-{locale}")
        fill_login(page, "rep")
        expect(page).to_have_url(f"{live_server.url}/sales/handoffs/{handoff.pk}/")
        expect(page.locator("#touch-note")).to_have_value(NOTE)
        expect(page.get_by_test_id("pending-form-notice")).to_contain_text(text["restored"])
        assert not Activity.objects.filter(lead=handoff.lead, kind="call").exists()
        screenshot(page, f"session-ended-restored-{locale}")

        # 3. Sent again, it is saved.
        page.get_by_test_id("touch-form").get_by_role("button").click()
        expect(page.get_by_role("alert").filter(has_text=text["logged"])).to_be_visible()
        call = Activity.objects.get(lead=handoff.lead, kind="call")
        assert call.details == {"note": NOTE}
    finally:
        context.close()
