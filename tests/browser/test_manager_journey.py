"""A manager reads the shared KPIs for a period and how each one is defined."""

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
from handoff import services as handoff_services
from handoff.models import Handoff, HandoffPolicy
from kpi.forms import last_month
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def seed_this_quarter(campaign: Campaign, *, rep: User) -> None:
    """Today: 3 new leads, 2 of them MQLs, 1 of those claimed. Long ago: 1 more lead."""
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
            handoff = handoff_services.hand_off_if_qualified(locked, policy=policy)
        assert handoff is not None
        handoffs.append(handoff)
    assert len(handoffs) == 2
    assert handoff_services.claim_handoff(handoffs[0], rep=rep)


def test_manager_reads_the_kpis_for_a_period(
    page: Page,
    manager: User,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    seed_this_quarter(campaign, rep=rep)

    # 1. The manager's home is the KPI page, this quarter by default.
    log_in(page, "manager")
    expect(page.get_by_role("heading", name="Shared KPIs")).to_be_visible()
    expect(page.get_by_role("link", name="KPIs")).to_have_class("nav-link active")
    expect(page.get_by_role("link", name="Handoff policy")).to_be_visible()
    expect(page.get_by_role("combobox", name="Period")).to_have_value("this_quarter")
    expect(page.get_by_test_id("kpi-leads-value")).to_have_text("3")
    expect(page.get_by_test_id("kpi-mqls-value")).to_have_text("2")
    expect(page.get_by_test_id("kpi-claimed-value")).to_have_text("1")
    screenshot(page, "manager-kpi-this-quarter")

    # 2. Each figure carries its agreed definition and the team that owns it.
    mqls = page.get_by_test_id("kpi-mqls")
    expect(mqls).to_contain_text(
        "Leads whose scores crossed the handoff threshold in the period (each lead once)."
    )
    expect(mqls).to_contain_text("Marketing")
    expect(page.get_by_test_id("kpi-claimed")).to_contain_text(
        "Handoffs a sales rep claimed in the period."
    )
    expect(page.get_by_test_id("kpi-claimed")).to_contain_text("Sales")
    expect(page.get_by_test_id("kpi-leads")).to_contain_text(
        "People created in the period, from any source."
    )

    # 3. Last month: none of today's work counts, and the period says which dates.
    page.get_by_role("combobox", name="Period").select_option(label="Last month")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]preset=last_month\b"))
    period = last_month(timezone.localdate())
    with translation.override("en"):
        dates = f"{formats.date_format(period.start)} – {formats.date_format(period.end)}"
    expect(page.get_by_test_id("period")).to_have_text(dates)
    expect(page.get_by_role("combobox", name="Period")).to_have_value("last_month")
    expect(page.get_by_test_id("kpi-leads-value")).to_have_text("0")
    expect(page.get_by_test_id("kpi-mqls-value")).to_have_text("0")
    expect(page.get_by_test_id("kpi-claimed-value")).to_have_text("0")
    screenshot(page, "manager-kpi-last-month")
