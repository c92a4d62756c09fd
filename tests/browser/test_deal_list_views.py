"""A rep saves a view of the deal list (filters, sort and columns), the deal
list then opens with it; they leave it for the whole list and open it again
from the Views menu. In English and Japanese, at desktop and phone width."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm import saved_views
from crm.models import Company, Lead, SavedView
from deals import services
from tests import factories
from tests.browser.test_japanese import switch_to_japanese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WORDS = {
    "en": {"filter": "Filter", "save": "Save", "saved": "saved", "largest": "Largest amount"},
    "ja": {
        "filter": "絞り込む",
        "save": "保存",
        "saved": "保存しました",
        "largest": "金額の大きい順",
    },
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_rep_saves_a_deal_view_and_opens_it_again(
    page: Page,
    rep: User,
    live_server: object,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    words = WORDS[language]
    url = f"{live_server.url}/deals/"  # type: ignore[attr-defined]
    company = Company.objects.create(name="青葉商事株式会社")
    lead = factories.lead(owner=rep, stage=Lead.Stage.SQL, company=company, family_name="青山")
    for name, amount in (
        ("大型導入", 5_000_000),
        ("追加ライセンス", 800_000),
        ("保守契約", 300_000),
    ):
        services.open_deal(
            lead, by=rep, terms=services.DealTerms(name=name, amount=Decimal(amount))
        )
    log_in(page, "rep")
    if language == "ja":
        switch_to_japanese(page)
    page.goto(url)

    # 1. Amount from 500,000, largest first, without the probability and owner columns.
    page.locator("#id_min_amount").fill("500000")
    page.locator("#id_sort").select_option(label=words["largest"])
    page.locator("details:has([data-testid=columns]) > summary").click()
    page.locator("#col-probability").uncheck()
    page.locator("#col-owner").uncheck()
    page.get_by_test_id("deal-filters").get_by_role("button", name=words["filter"]).click()
    expect(page.get_by_test_id("deal-row")).to_have_count(2)
    expect(page.locator("[data-testid=deal-table] thead th")).to_have_count(5)

    # 2. Saved as a shared view the list opens with.
    page.get_by_test_id("save-view").click()
    page.locator("#view-name").fill("大口の商談")
    page.locator("#view-shared").check()
    page.locator("#view-default").check()
    screenshot(page, f"{language}-deal-list-save-view")
    page.get_by_test_id("save-view-form").get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("alert").first).to_contain_text(words["saved"])
    view = SavedView.objects.get()
    assert (view.list, view.shared) == ("deals", True)
    assert "min_amount=500000" in view.query and "sort=-amount" in view.query
    assert view.columns == ["company", "stage", "amount", "close"]

    # 3. The deal list with no query opens the view: its filter, sort and columns.
    page.goto(url)
    expect(page).to_have_url(f"{url}?{saved_views.address(view)}")
    expect(page.get_by_test_id("views-menu")).to_contain_text("大口の商談")
    rows = page.get_by_test_id("deal-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("大型導入")
    expect(page.locator("[data-testid=deal-table] thead th")).to_have_count(5)
    screenshot(page, f"{language}-deal-list-view-opened")

    # 4. Every deal, then the view again from the menu; at phone width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("views-menu").click()
    page.locator(".dropdown-menu a[href='?view=none']").click()
    expect(page.get_by_test_id("deal-row")).to_have_count(3)
    page.get_by_test_id("views-menu").click()
    page.get_by_role("link", name="大口の商談").click()
    expect(page.get_by_test_id("deal-row")).to_have_count(2)
    screenshot(page, f"{language}-deal-list-view-phone")

    # 5. The views page names it the default.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}views/")
    expect(page.get_by_test_id("saved-view-list")).to_contain_text("大口の商談")
    expect(page.get_by_test_id("default-view")).to_be_visible()
    screenshot(page, f"{language}-deal-saved-views")
