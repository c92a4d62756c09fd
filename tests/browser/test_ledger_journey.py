"""The question ledger fed by the capture form, in the browser: a marketer
adds a budget question and a free question to a campaign's form, a visitor
answers them on the hosted form (on a phone), and the rep's handoff page
shows both as already answered. English and Japanese."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from crm.models import Campaign, Lead
from handoff import mql, services
from handoff.models import HandoffPolicy
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "edit": "Add or change questions",
        "required": "Required",
        "wording_ja": "Wording in Japanese",
        "wording_en": "Wording in English",
        "save": "Save the questions",
        "budget": "Budget",
        "send": "Send",
        "answered": "Already answered",
        "via": "Answered via Web form on",
        "to_ask": "Still to ask:",
    },
    "ja": {
        "edit": "質問を追加・変更",
        "required": "必須",
        "wording_ja": "日本語の文言",
        "wording_en": "英語の文言",
        "save": "質問を保存",
        "budget": "予算",
        "send": "送信",
        "answered": "回答済み",
        "via": "Webフォームで回答",
        "to_ask": "まだ聞いていない質問:",
    },
}
FREE = {"ja": "導入予定の拠点数は？", "en": "How many offices will use it?"}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    made: list[BrowserContext] = []

    def new(lang: str, viewport: ViewportSize | None = None) -> BrowserContext:
        context = browser.new_context(
            locale="ja-JP" if lang == "ja" else "en-US",
            timezone_id="Asia/Tokyo",
            viewport=viewport or {"width": 1280, "height": 900},
        )
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


def signed_in(
    context: BrowserContext, log_in: Callable[[Page, str], None], user: str, lang: str
) -> Page:
    page = context.new_page()
    log_in(page, user)
    if lang == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    return page


def hand_off(lead: Lead, rep: User) -> int:
    """The lead crosses the threshold (as scoring would) and `rep` claims it."""
    policy = HandoffPolicy.current()
    with transaction.atomic():
        factories.set_scores(lead, engagement=policy.engagement_threshold + 10)
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        handoff = mql.hand_off_if_qualified(locked, policy=policy)
    assert handoff is not None
    assert services.claim_handoff(handoff, rep=rep)
    return handoff.pk


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_answers_given_on_the_form_are_marked_on_the_handoff_page(
    contexts: Callable[..., BrowserContext],
    live_server: Any,
    marketer: User,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    lang: str,
) -> None:
    words = TEXT[lang]
    # 1. The marketer adds a budget question (required) and a free one.
    page = signed_in(contexts("en"), log_in, "marketer", lang)
    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    page.get_by_test_id("edit-questions").click()
    rows = page.get_by_test_id("question-row")
    rows.nth(0).locator("select").select_option("budget")
    rows.nth(0).get_by_label(words["required"]).check()
    rows.nth(1).locator("select").select_option("other")
    rows.nth(1).get_by_label(words["wording_ja"]).fill(FREE["ja"])
    rows.nth(1).get_by_label(words["wording_en"]).fill(FREE["en"])
    screenshot(page, f"ledger-questions-form-{lang}")
    page.get_by_role("button", name=words["save"]).click()
    listed = page.get_by_test_id("form-questions")
    expect(listed).to_contain_text(words["budget"])
    expect(listed).to_contain_text(FREE[lang])
    expect(page.get_by_test_id("capture-snippet")).to_contain_text('name="answer_budget"')
    screenshot(page, f"ledger-campaign-page-{lang}")

    # 2. A visitor answers on the hosted form, on a phone.
    visitor = contexts(lang, PHONE).new_page()
    visitor.goto(f"{live_server.url}/capture/{campaign.capture_key}/")
    visitor.locator("#id_email").fill("yamada@aoba.example.jp")
    visitor.locator("#id_family_name").fill("山田")
    visitor.get_by_role("textbox", name=words["budget"]).fill("500万円")
    visitor.get_by_label(FREE[lang]).fill("3拠点")
    screenshot(visitor, f"ledger-hosted-form-phone-{lang}")
    visitor.get_by_role("button", name=words["send"]).click()
    expect(visitor.locator("h1")).to_be_visible()
    lead = Lead.objects.get(email="yamada@aoba.example.jp")
    assert lead.answers.count() == 2

    # 3. The rep's handoff page shows both as already answered.
    handoff_id = hand_off(lead, rep)
    desk = signed_in(contexts("en"), log_in, "rep", lang)
    sizes: list[tuple[ViewportSize | None, str]] = [(None, "desktop"), (PHONE, "phone")]
    for viewport, name in sizes:
        if viewport:
            desk.set_viewport_size(viewport)
        desk.goto(live_server.url + reverse("handoff:detail", args=[handoff_id]))
        ledger = desk.get_by_test_id("ledger")
        expect(ledger.get_by_test_id("answered-question")).to_have_count(2)
        expect(ledger.get_by_test_id("answered-question").first).to_contain_text(words["answered"])
        expect(ledger).to_contain_text("500万円")
        expect(ledger).to_contain_text(FREE[lang])
        expect(ledger).to_contain_text("3拠点")
        expect(ledger).to_contain_text(words["via"])
        expect(ledger.get_by_test_id("to-ask")).to_contain_text(words["to_ask"])
        expect(ledger.get_by_test_id("to-ask")).not_to_contain_text(words["budget"])
        ledger.scroll_into_view_if_needed()
        screenshot(desk, f"ledger-handoff-{name}-{lang}")
