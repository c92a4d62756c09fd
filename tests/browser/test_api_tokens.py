"""The API token page in a browser: a named, read-only token made, its key
shown once, listed with its scope and expiry, revoked; in English and
Japanese, and at phone width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from api.models import ApiToken

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_marketer_makes_shows_once_and_revokes_a_token(
    page: Page,
    marketer: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    log_in(page, "marketer")
    page.get_by_test_id("current-user").click()  # the person's own menu
    page.get_by_role("link", name="API token").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.get_by_text("You have no API token.")).to_be_visible()

    page.get_by_label("Name").fill("MA sync")
    page.get_by_label("Read only").check()
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create a token").click()
    key = page.get_by_test_id("new-token").locator("code").inner_text()
    assert key.startswith("baton_")
    token = ApiToken.objects.get(user=marketer)
    assert (token.name, token.scope) == ("MA sync", "read")
    expect(page.get_by_test_id("tokens")).to_contain_text("MA sync")
    expect(page.get_by_test_id("tokens")).to_contain_text("Read only")
    screenshot(page, "en-api-token-created")

    page.reload()  # the key is never shown again
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.get_by_test_id("tokens")).to_contain_text("Never")

    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", name="API トークン")).to_be_visible()
    expect(page.get_by_test_id("tokens")).to_contain_text("読み取り専用")
    expect(page.get_by_label("有効期間")).to_contain_text("90 日")
    screenshot(page, "ja-api-token-list")
    page.set_viewport_size({"width": 390, "height": 844})
    # The table scrolls inside its box; the page itself does not widen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "ja-api-token-phone")

    page.get_by_role("button", name="無効にする").click()
    expect(page.get_by_test_id("tokens")).to_contain_text("無効")
    token.refresh_from_db()
    assert token.revoked_at is not None
