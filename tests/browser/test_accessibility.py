"""Accessibility of the eight pages people use most, in Japanese and English:
axe-core (from npm, node_modules/axe-core, never a CDN) finds no serious or
critical violation; a skip link puts the first Claim button three key
presses away; stage badges are readable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm.models import Company, Deal, Lead
from handoff import services
from handoff.models import Handoff
from kpi import rollups
from nurture.models import Segment
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "baton-demo"  # nosec B105  # the demo logins' documented password


def pages() -> list[tuple[str, str, str]]:
    """(login, path, name) of the main pages, on the demo data."""
    lead = Lead.objects.filter(stage=Lead.Stage.MQL).order_by("pk").first()
    company = Company.objects.order_by("pk").first()
    waiting = Handoff.objects.queued().order_by("pk").first()
    assert lead is not None and waiting is not None and company is not None
    return [
        ("marketer", "/crm/leads/", "lead-list"),
        ("marketer", lead.get_absolute_url(), "lead-page"),
        ("marketer", f"/crm/leads/{lead.pk}/edit/", "lead-form"),
        ("marketer", "/crm/companies/", "company-list"),
        ("marketer", company.get_absolute_url(), "company-page"),
        ("marketer", "/crm/campaigns/", "campaign-list"),
        ("marketer", "/nurture/segments/", "nurture"),
        ("marketer", "/nurture/segments/new/", "segment-form"),
        ("marketer", Segment.objects.get_or_create(name="名刺")[0].get_absolute_url(), "segment"),
        ("marketer", "/crm/imports/", "import"),
        ("rep", "/sales/queue/", "sales-queue"),
        ("rep", f"/sales/handoffs/{waiting.pk}/", "handoff-page"),
        ("manager", "/kpi/", "kpi-dashboard"),
        ("manager", "/deals/board/", "deal-board"),
        ("manager", "/deals/", "deal-list"),
        ("manager", f"/deals/{Deal.objects.earliest('pk').pk}/", "deal-page"),
        ("manager", "/deals/stages/", "deal-stages"),
    ]


@pytest.fixture
def demo(live_server: Any) -> None:
    call_command("seed_demo", stdout=StringIO())
    rollups.refresh()


def signed_in(browser: Browser, base: str, username: str, locale: str) -> BrowserContext:
    # axe is injected as a script tag: the CSP (no inline scripts) is bypassed
    # for the test's own script only; Baton's pages are served as always.
    context = browser.new_context(
        locale=locale, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.close()
    return context


def serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_main_pages_have_no_serious_accessibility_violation(
    browser: Browser,
    live_server: Any,
    demo: None,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    assert AXE.exists(), "make assets installs axe-core from npm"
    contexts: dict[str, BrowserContext] = {}
    found = {}
    try:
        for username, path, name in pages():
            if username not in contexts:
                contexts[username] = signed_in(browser, live_server.url, username, locale)
            page = contexts[username].new_page()
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            if violations := serious_violations(page):
                found[name] = violations
            screenshot(page, f"a11y-{name}-{locale}")
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    assert found == {}


@pytest.fixture
def busy_queue(rep: Any, campaign: Any) -> Iterator[Handoff]:
    """Two leads the rep is working, three waiting."""
    for _ in range(2):
        assert services.claim_handoff(factories.qualified_handoff(campaign), rep=rep)
    waiting = [factories.qualified_handoff(campaign) for _ in range(3)]
    yield waiting[0]


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_first_claim_button_is_three_key_presses_away(
    browser: Browser,
    live_server: Any,
    busy_queue: Handoff,
    locale: str,
    screenshot: Callable[[Page, str], Path],
) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.locator("#id_username").fill("rep")
        page.locator("#id_password").fill("pw")
        page.locator("form button[type=submit]").last.click()
        page.goto(f"{live_server.url}/sales/queue/")
        page.wait_for_load_state("networkidle")
        presses = 0
        claim_label = "Claim" if locale == "en-US" else "担当する"
        for _ in range(2):  # the skip links come first
            page.keyboard.press("Tab")
            presses += 1
        focused = page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#first-claim"
        screenshot(page, f"a11y-skip-link-{locale}")
        page.keyboard.press("Enter")  # the skip link lands on the first Claim itself
        presses += 1
        text = page.evaluate("document.activeElement.textContent.trim()")
        assert text == claim_label, f"not reached after {presses} presses"
        assert presses <= 3
    finally:
        context.close()


def test_stage_badges_are_readable(page: Page, live_server: Any) -> None:
    """White (or dark) text on every stage colour at 4.5:1 or more."""
    page.goto(f"{live_server.url}/login/")
    page.add_style_tag(url=f"{live_server.url}/static/css/baton.css")
    ratios = page.evaluate(
        """(stages) => stages.map((stage) => {
            const badge = document.createElement('span');
            badge.className = `badge stage-${stage}`;
            badge.textContent = stage;
            document.body.append(badge);
            const style = getComputedStyle(badge);
            const rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => [r, g, b].map((v) => {
                v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
            const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
            return [stage, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
        })""",
        [stage.value for stage in Lead.Stage],
    )
    low = {stage: round(ratio, 2) for stage, ratio in ratios if ratio < 4.5}
    assert low == {}
