"""A manager sets a target, filters the shared KPIs by campaign, reads a
definition and exports the CSV, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from crm.models import Campaign, Lead
from handoff import mql
from handoff import services as handoff_services
from handoff.models import Handoff, HandoffPolicy
from kpi import tasks
from kpi.forms import last_month, this_quarter
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def seed_this_quarter(campaign: Campaign, *, rep: User) -> None:
    """Today: 3 new leads, 2 of them MQLs, 1 of those claimed. Long ago: 1 more lead.
    Then the rollups are brought up to date, as the worker does every minute."""
    policy = HandoffPolicy.current()
    hot = policy.engagement_threshold + 10
    people = [("木村", "拓也", hot), ("林", "美咲", hot), ("清水", "健", 5)]
    for n, (family, given, engagement) in enumerate(people):
        factories.lead(
            family_name=family,
            given_name=given,
            email=f"kpi{n}@example.jp",
            engagement_score=engagement,
            source_campaign=campaign,
        )
    Lead.objects.create(
        family_name="古川", email="old@example.jp", created_at=timezone.now() - timedelta(days=400)
    )
    handoffs: list[Handoff] = []
    for lead in Lead.objects.filter(score__engagement__gte=policy.engagement_threshold):
        with transaction.atomic():
            locked = Lead.objects.select_for_update().get(pk=lead.pk)
            handoff = mql.hand_off_if_qualified(locked, policy=policy)
        assert handoff is not None
        handoffs.append(handoff)
    assert len(handoffs) == 2
    assert handoff_services.claim_handoff(handoffs[0], rep=rep)
    tasks.refresh_rollups()


def test_manager_sets_a_target_filters_reads_a_definition_and_exports(
    page: Page,
    manager: User,
    marketer: User,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    seed_this_quarter(campaign, rep=rep)
    quiet = Campaign.objects.create(
        name="Autumn newsletter", channel="email", utm_code="autumn", owner=marketer
    )

    # 1. The manager's home is the KPI page, this quarter by default.
    log_in(page, "manager")  # lands on Team today
    expect(page.get_by_role("heading", name="Team today")).to_be_visible()
    page.get_by_role("link", name="KPIs").click()
    expect(page.get_by_role("heading", name="Shared KPIs")).to_be_visible()
    expect(page.get_by_role("link", name="KPIs")).to_have_class("nav-link active")
    expect(page.get_by_role("combobox", name="Period")).to_have_value("this_quarter")
    expect(page.get_by_test_id("kpi-leads-value")).to_have_text("3")
    expect(page.get_by_test_id("kpi-mqls-value")).to_have_text("2")
    expect(page.get_by_test_id("kpi-claimed-value")).to_have_text("1")
    expect(page.get_by_test_id("kpi-mqls")).to_contain_text("Marketing")
    expect(page.get_by_test_id("campaigns")).to_contain_text(campaign.name)
    screenshot(page, "manager-kpi-this-quarter")

    # 2. A target for the quarter's MQLs: the figure shows target and gap.
    page.get_by_role("link", name="Targets").click()
    quarter = this_quarter(timezone.localdate())
    page.get_by_label("KPI").select_option(label="MQLs")
    page.get_by_label("Span").select_option(label="Quarter")
    page.get_by_label("Month (or first month of the quarter)").fill(f"{quarter.start:%Y-%m}")
    page.get_by_label("Target", exact=True).fill("5")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success"))).to_contain_text(
        "Target saved: MQLs, 5."
    )
    expect(page.get_by_test_id("targets")).to_contain_text("Quarter")
    screenshot(page, "manager-kpi-targets")
    page.get_by_role("link", name="Back to the KPIs").click()
    expect(page.get_by_test_id("kpi-mqls-target")).to_contain_text("Target 5")
    expect(page.get_by_test_id("kpi-mqls-target")).to_contain_text("Gap −3")

    # 3. Filter by campaign: the quiet campaign has nothing, the other everything.
    page.get_by_label("Campaign", exact=True).select_option(label=quiet.name)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"[?&]campaign={quiet.pk}\b"))
    expect(page.get_by_test_id("kpi-leads-value")).to_have_text("0")
    page.get_by_label("Campaign", exact=True).select_option(label=campaign.name)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("kpi-leads-value")).to_have_text("3")
    expect(page.get_by_label("Campaign", exact=True)).to_have_value(str(campaign.pk))

    # 4. Last month: none of today's work counts, and the period says which dates.
    page.get_by_role("combobox", name="Period").select_option(label="Last month")
    page.get_by_role("button", name="Show").click()
    period = last_month(timezone.localdate())
    with translation.override("en"):
        dates = f"{formats.date_format(period.start)} – {formats.date_format(period.end)}"
    expect(page.get_by_test_id("period")).to_have_text(dates)
    expect(page.get_by_test_id("kpi-mqls-value")).to_have_text("0")
    page.get_by_role("combobox", name="Period").select_option(label="This quarter")
    page.get_by_role("button", name="Show").click()

    # 5. The definitions page, one click away, says how each figure is counted.
    page.get_by_role("link", name="Definitions").click()
    expect(page.get_by_role("heading", name="KPI definitions")).to_be_visible()
    expect(page.get_by_test_id("definition-mqls")).to_contain_text(
        "each lead once, however often it qualifies again"
    )
    expect(page.get_by_test_id("definition-speed_p50")).to_contain_text("Sales")
    screenshot(page, "manager-kpi-definitions")
    page.go_back()

    # 6. The CSV has the same figures, a BOM for spreadsheets, and the filter kept.
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    content = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("kpis-")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "KPIs,mqls,MQLs,2,5.00,-3.00,count" in text  # numbers stay numbers
    assert campaign.name in text and quiet.name not in text
