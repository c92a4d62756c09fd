"""A rep moves a deal across the pipeline board with the mouse and with the
keyboard and marks it won; a manager edits the deal stages and the lost
reasons. In English and Japanese, at desktop and phone width."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, ViewportSize, expect

from crm.models import Company, Deal, DealStage, Lead, LostReason
from deals import services
from tests import factories
from tests.browser.test_japanese import switch_to_japanese

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
WORDS = {
    "en": {"moved": "moved to Proposal", "won": "is won", "mark_won": "Mark won",
           "in_use": "is in use: retire it instead"},
    "ja": {"moved": "を提案に移動しました", "won": "を受注しました", "mark_won": "受注にする",
           "in_use": "は使われているため削除できません"},
}  # fmt: skip


def column(page: Page, name_en: str) -> Locator:
    stage = DealStage.objects.get(name_en=name_en)
    return page.locator(f'[data-testid="board-column"][data-stage="{stage.pk}"]')


def start(page: Page, log_in: Callable[[Page, str], None], who: str, language: str) -> None:
    log_in(page, who)
    if language == "ja":
        switch_to_japanese(page)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_rep_moves_a_deal_by_mouse_and_keyboard_and_wins_it(
    page: Page,
    rep: User,
    live_server: object,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    company = Company.objects.create(name="青葉商事株式会社")
    lead = factories.lead(owner=rep, stage=Lead.Stage.SQL, company=company, family_name="青山")
    deal = services.open_deal(
        lead, by=rep, terms=services.DealTerms(name="青葉商事 導入", amount=Decimal(1_200_000))
    )
    services.open_deal(
        lead, by=rep, terms=services.DealTerms(name="保守契約", amount=Decimal(300_000))
    )
    start(page, log_in, "rep", language)
    page.goto(f"{live_server.url}/deals/board/")  # type: ignore[attr-defined]
    card = page.locator(f'[data-deal="{deal.pk}"]')
    expect(column(page, "Discovery").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    screenshot(page, f"{language}-deals-board")

    # The mouse: drag the card into the Proposal column.
    card.locator("div.small").first.drag_to(column(page, "Proposal").locator(".deal-cards"))
    expect(page.get_by_test_id("board-notice")).to_contain_text(WORDS[language]["moved"])
    expect(column(page, "Proposal").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage.name_en == "Proposal"

    # The keyboard: the card's "move to", then Tab to its button and Enter.
    select = page.locator(f"#move-{deal.pk}")
    select.focus()
    select.select_option(str(DealStage.objects.get(name_en="Quote").pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(column(page, "Quote").locator(f'[data-deal="{deal.pk}"]')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage.name_en == "Quote"
    page.set_viewport_size(PHONE)
    screenshot(page, f"{language}-deals-board-phone")
    page.set_viewport_size(DESKTOP)

    # Won, from the deal page: the close date is today, the final amount typed.
    page.locator(f'[data-deal="{deal.pk}"] a').first.click()
    page.locator("#win-amount").fill("1300000")
    page.get_by_role("button", name=WORDS[language]["mark_won"]).click()
    expect(page.get_by_role("alert").first).to_contain_text(WORDS[language]["won"])
    expect(page.get_by_test_id("deal-amount")).to_have_text("¥1,300,000")
    screenshot(page, f"{language}-deal-won")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{language}-deal-won-phone")
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.CUSTOMER


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_manager_edits_the_stages_and_the_lost_reasons(
    page: Page,
    manager: User,
    rep: User,
    live_server: object,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    lead = factories.lead(owner=rep, stage=Lead.Stage.SQL)
    services.open_deal(lead, by=rep, terms=services.DealTerms(name="導入", amount=Decimal(1)))
    start(page, log_in, "manager", language)
    page.goto(f"{live_server.url}/deals/stages/")  # type: ignore[attr-defined]
    page.locator("#id_new-name_ja").fill("デモ")
    page.locator("#id_new-name_en").fill("Demo")
    page.locator("#id_new-order").fill("15")
    page.locator("#id_new-probability").fill("20")
    page.locator("#id_new-kind").select_option("open")
    page.get_by_test_id("list-add-form").get_by_role("button").click()
    expect(page.get_by_test_id("list-table")).to_contain_text("デモ")
    assert DealStage.objects.filter(name_en="Demo", probability=20).exists()

    # A stage in use: its delete button is not offered, the POST is refused.
    discovery = DealStage.objects.get(name_en="Discovery")
    page.goto(f"{live_server.url}/deals/stages/{discovery.pk}/")  # type: ignore[attr-defined]
    page.locator("#id_probability").fill("15")
    page.locator("#id_is_retired").check()
    page.get_by_test_id("list-edit-form").get_by_role("button").first.click()
    expect(page.get_by_test_id("list-table")).to_be_visible()
    discovery.refresh_from_db()
    assert (discovery.probability, discovery.is_retired) == (15, True)
    screenshot(page, f"{language}-deal-stages")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{language}-deal-stages-phone")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}/deals/lost-reasons/")  # type: ignore[attr-defined]
    page.locator("#id_new-name_ja").fill("社内事情")
    page.locator("#id_new-name_en").fill("Internal reasons")
    page.locator("#id_new-order").fill("65")
    page.get_by_test_id("list-add-form").get_by_role("button").click()
    expect(page.get_by_test_id("list-table")).to_contain_text("社内事情")
    price = LostReason.objects.get(name_en="Price")
    page.goto(f"{live_server.url}/deals/lost-reasons/{price.pk}/")  # type: ignore[attr-defined]
    page.locator("#id_is_retired").check()
    page.get_by_test_id("list-edit-form").get_by_role("button").first.click()
    expect(page.get_by_test_id("list-table")).to_be_visible()
    assert not LostReason.objects.offered().filter(pk=price.pk).exists()
    screenshot(page, f"{language}-lost-reasons")
