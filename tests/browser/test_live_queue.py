"""The live queue, in Japanese and English: a lead claimed in a second browser
leaves the first rep's queue without a reload while their focus stays where
it was; the first Claim is three key presses from the page's load; j/k/c
work, and not while typing; the notification list answers the same keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from crm.models import Campaign
from handoff import services
from handoff.models import Handoff
from tests import factories
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_global_search import signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLAIM = {"en-US": "Claim", "ja-JP": "担当する"}
POLL_TIMEOUT_MS = 15_000  # the queue polls every 5 s


def active(page: Page, script: str) -> Any:
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_a_lead_claimed_elsewhere_leaves_the_queue_and_the_focus_stays(
    browser: Browser,
    live_server: Any,
    rep: User,
    other_rep: User,
    campaign: Campaign,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    for _ in range(3):
        factories.qualified_handoff(campaign)
    page = signed_in(browser, live_server.url, "rep", locale, bypass_csp=True)
    colleague = signed_in(browser, live_server.url, "other_rep", locale)
    try:
        page.goto(f"{live_server.url}/sales/queue/")
        page.wait_for_load_state("networkidle")
        page.evaluate("window.notReloaded = true")
        rows = page.locator("[data-queued] [data-row]")
        expect(rows).to_have_count(3)
        order = [row.get_attribute("id") for row in rows.all()]
        # j twice: the second waiting lead's link has the focus.
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert active(page, "el.closest('[data-row]').id") == order[1]
        assert active(page, "el.matches('[data-row-open]')")

        # The colleague claims the first lead in their own browser.
        first = Handoff.objects.get(pk=int(str(order[0]).removeprefix("handoff-")))
        colleague.goto(f"{live_server.url}/sales/queue/")
        colleague.wait_for_load_state("networkidle")
        colleague.locator(f"#handoff-{first.pk} [data-row-claim]").click()
        expect(colleague.get_by_test_id("claimed-by-me")).to_be_visible()

        # Without a reload the row leaves; the focus has not moved.
        expect(page.locator(f"#{order[0]}")).to_have_count(0, timeout=POLL_TIMEOUT_MS)
        expect(rows).to_have_count(2)
        assert page.evaluate("window.notReloaded === true")
        assert active(page, "el.closest('[data-row]').id") == order[1]
        expect(page.get_by_test_id("live-status")).not_to_be_empty()
        expect(page.get_by_test_id("queue-count")).to_have_text("2")

        # A new lead arrives: it appears, announced, and the focus still stays.
        arrived = factories.qualified_handoff(campaign)
        expect(page.locator(f"#handoff-{arrived.pk}")).to_be_visible(timeout=POLL_TIMEOUT_MS)
        assert active(page, "el.closest('[data-row]').id") == order[1]
        assert page.evaluate("window.notReloaded === true")
        assert serious_violations(page) == []
        screenshot(page, f"live-queue-after-claim-elsewhere-{locale}")

        # c claims the focused lead, and the keyboard stays on its row.
        page.keyboard.press("c")
        expect(page.locator(f"#{order[1]} [data-testid=claimed-by-me]")).to_be_visible()
        claimed = Handoff.objects.get(pk=int(str(order[1]).removeprefix("handoff-")))
        assert claimed.claimed_by == rep
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, f"live-queue-phone-{locale}")
    finally:
        page.context.close()
        colleague.context.close()


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_first_claim_is_at_most_three_key_presses_away(
    browser: Browser,
    live_server: Any,
    rep: User,
    campaign: Campaign,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    for _ in range(2):  # two leads the rep works come first on the page
        assert services.claim_handoff(factories.qualified_handoff(campaign), rep=rep)
    for _ in range(3):
        factories.qualified_handoff(campaign)
    page = signed_in(browser, live_server.url, "rep", locale)
    try:
        # The skip links: Tab, Tab, Enter.
        page.goto(f"{live_server.url}/sales/queue/")
        page.wait_for_load_state("networkidle")
        for key in ("Tab", "Tab", "Enter"):
            page.keyboard.press(key)
        assert active(page, "el.textContent.trim()") == CLAIM[locale]
        assert active(page, "!!el.closest('[data-queued]')")
        screenshot(page, f"first-claim-skip-link-{locale}")

        # The shortcut: c goes to the first Claim, a second c would claim.
        page.goto(f"{live_server.url}/sales/queue/")
        page.wait_for_load_state("networkidle")
        page.keyboard.press("c")
        assert active(page, "el.textContent.trim()") == CLAIM[locale]
        assert active(page, "!!el.closest('[data-queued]')")

        # Typing in a field is typing: no shortcut fires.
        page.locator("#global-search").focus()
        page.keyboard.type("jkc")
        assert active(page, "el.id") == "global-search"
        expect(page.locator("#global-search")).to_have_value("jkc")
    finally:
        page.context.close()


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_notification_list_answers_the_same_keys(
    browser: Browser,
    live_server: Any,
    rep: User,
    campaign: Campaign,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    handoff = factories.qualified_handoff(campaign)
    page = signed_in(browser, live_server.url, "rep", locale, bypass_csp=True)
    try:
        page.goto(f"{live_server.url}/sales/notifications/")
        page.wait_for_load_state("networkidle")
        page.keyboard.press("j")
        assert active(page, "el.matches('[data-row-open]')")
        # A new notification arrives; the focus stays on the first one's link.
        focused = active(page, "el.closest('[data-row]').id")
        second = factories.qualified_handoff(campaign)
        expect(page.locator("[data-row]")).to_have_count(2, timeout=POLL_TIMEOUT_MS)
        assert active(page, "el.closest('[data-row]').id") == focused
        assert serious_violations(page) == []
        screenshot(page, f"notifications-live-{locale}")
        # c on the focused notification claims its lead: on to the queue.
        page.keyboard.press("c")
        page.wait_for_url("**/sales/queue/")
        claimed = {handoff.pk, second.pk} & set(
            Handoff.objects.filter(claimed_by=rep).values_list("pk", flat=True)
        )
        assert len(claimed) == 1
    finally:
        page.context.close()
