"""Global search, in Japanese and English: "/" focuses the top bar's search,
a person stored in katakana is found typed in hiragana, the arrow keys and
Enter open them; without choosing, Enter shows the results page. A rep never
sees another rep's lead there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm.models import Company, Lead
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.test_accessibility import AXE, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def signed_in(browser: Browser, base: str, username: str, locale: str, **kwargs: Any) -> Page:
    context: BrowserContext = browser.new_context(locale=locale, timezone_id="Asia/Tokyo", **kwargs)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_a_person_stored_in_katakana_is_found_typed_in_hiragana(
    browser: Browser,
    live_server: Any,
    rep: User,
    other_rep: User,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    company = Company.objects.create(name="株式会社ヤマグチ商事")
    person = factories.lead(
        family_name="ヤマグチ",
        given_name="ハナ",
        family_name_kana="ヤマグチ",
        given_name_kana="ハナ",
        company=company,
        stage=Lead.Stage.MQL,  # waiting for sales: the rep may open it
    )
    factories.lead(family_name="ヤマグチ", given_name="ジロウ", stage="sal", owner=other_rep)
    page = signed_in(browser, live_server.url, "rep", locale, bypass_csp=True)
    try:
        page.goto(f"{live_server.url}/sales/queue/")
        page.wait_for_load_state("networkidle")
        # 1. "/" focuses the search; typed into a field, it is only a character.
        page.keyboard.press("/")
        box = page.locator("#global-search")
        expect(box).to_be_focused()
        box.press_sequentially("やまぐち", delay=30)
        options = page.locator("#global-search-results [role=option]")
        expect(options.first).to_be_visible()
        expect(box).to_have_attribute("aria-expanded", "true")
        texts = options.all_inner_texts()
        assert any("ヤマグチ ハナ" in text for text in texts), texts
        assert not any("ジロウ" in text for text in texts), "another rep's lead"
        expect(page.locator("#global-search-status")).not_to_be_empty()
        assert serious_violations(page) == []
        screenshot(page, f"search-dropdown-{locale}")

        # 2. ArrowDown chooses the first option (the input keeps the focus), Enter opens it.
        box.press("ArrowDown")
        first_id = options.first.get_attribute("id")
        expect(box).to_have_attribute("aria-activedescendant", first_id or "")
        expect(options.first).to_have_attribute("aria-selected", "true")
        box.press("Enter")
        page.wait_for_url(f"**{person.get_absolute_url()}")

        # 3. Without choosing, Enter is the GET form: the results page, grouped.
        page.keyboard.press("/")
        page.locator("#global-search").fill("ﾔﾏｸﾞﾁ")
        page.locator("#global-search").press("Enter")
        page.wait_for_url("**/crm/search/?q=*")
        expect(page.get_by_test_id("search-group-people")).to_contain_text("ヤマグチ ハナ")
        expect(page.get_by_test_id("search-group-companies")).to_contain_text("ヤマグチ商事")
        assert "ジロウ" not in page.content()
        assert serious_violations(page) == []
        screenshot(page, f"search-results-{locale}")

        # 4. At phone width the search sits in the menu and the page still reads.
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, f"search-results-phone-{locale}")
        page.locator(".navbar-toggler").click()
        menu_box = page.locator("#global-search")
        expect(menu_box).to_be_visible()
        menu_box.fill("やま")
        expect(page.locator("#global-search-results [role=option]").first).to_be_visible()
        screenshot(page, f"search-dropdown-phone-{locale}")
    finally:
        page.context.close()
    assert AXE.exists()
