"""Every main page, as each role sees it, runs under the strict CSP without a
single violation: no inline script, style or handler anywhere, htmx and
Bootstrap still working."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page, expect

from crm.imports import jobs
from crm.models import Campaign, Company, ScoringRule
from handoff import services
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Listens in the page itself too: some violations never reach the console.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


@pytest.fixture
def violations(page: Page) -> Iterator[list[str]]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text:
            found.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.add_init_script(RECORD_VIOLATIONS)
    yield found


def visit(page: Page, url: str, found: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    found += [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]


@pytest.fixture
def world(campaign: Campaign, marketer: User, rep: User, manager: User) -> dict[str, Any]:
    claimed = factories.qualified_handoff(campaign)
    services.claim_handoff(claimed, rep=rep)
    factories.qualified_handoff(campaign)  # one waiting in the queue
    company = Company.objects.create(name="株式会社青葉商事")
    job = jobs.create_job(
        "email,family_name\nnot-an-email,山田\nok@example.jp,佐藤\n".encode(),
        filename="x.csv",
        user=marketer,
        campaign=campaign,
        kind="imported",
    )
    return {
        "campaign": campaign.pk,
        "key": campaign.capture_key,
        "handoff": claimed.pk,
        "lead": claimed.lead_id,
        "company": company.pk,
        "job": job.pk,
        "rule": ScoringRule.objects.earliest("pk").pk,
    }


PAGES = {
    None: ["/login/", "/capture/{key}/"],
    "marketer": [
        "/crm/campaigns/",
        "/crm/campaigns/new/",
        "/crm/campaigns/{campaign}/",
        "/crm/campaigns/{campaign}/edit/",
        "/crm/leads/",
        "/crm/leads/{lead}/",
        "/crm/companies/{company}/",
        "/crm/imports/",
        "/crm/imports/{job}/",
        "/crm/duplicates/",
        "/sales/scoring/",
        "/sales/scoring/new/",
        "/sales/scoring/{rule}/",
        "/account/api-token/",
        "/api/docs/",
    ],
    "rep": ["/sales/queue/", "/sales/handoffs/{handoff}/", "/sales/notifications/"],
    # The KPI page's templates are being rewritten elsewhere: it is visited
    # all the same, so a violation there shows here.
    "manager": [
        "/kpi/",
        "/sales/policy/",
        "/audit/",
        "/crm/leads/{lead}/erase/",
        "/crm/leads/{lead}/",
    ],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_have_no_csp_violation(
    page: Page,
    live_server: Any,
    world: dict[str, Any],
    violations: list[str],
    log_in: Callable[[Page, str], None],
    role: str | None,
) -> None:
    if role:
        log_in(page, role)
    for path in PAGES[role]:
        visit(page, live_server.url + path.format(**world), violations)
    assert violations == []


def test_htmx_and_bootstrap_work_under_the_csp(
    page: Page,
    live_server: Any,
    world: dict[str, Any],
    violations: list[str],
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    log_in(page, "rep")
    visit(page, f"{live_server.url}/sales/queue/", violations)
    # htmx loaded the badge, Bootstrap's JS opens the collapsed menu on a small screen.
    expect(page.get_by_test_id("notification-badge")).to_be_visible()
    page.set_viewport_size({"width": 500, "height": 800})
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Sales queue")).to_be_visible()
    # The claim button swaps the row in place through htmx.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_test_id("claimed-by-me")).to_have_count(1)  # the world's claimed one
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_test_id("claimed-by-me")).to_have_count(2)
    screenshot(page, "security-htmx-claim-under-csp")
    assert violations == []
