"""The lead page in both languages: the timeline shows the points the score
counts (as the breakdown does), and who did each thing apart from how it
arrived (an API token is not the person who viewed the page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from api import services as api_services
from crm import services
from crm.models import Activity, Lead, ScoringRule
from handoff import work
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXT = {
    "en": {"api": "through the API, with Hanako Sato’s token", "lead": "山田 花子"},
    "ja": {"api": "API 経由（Sato Hanakoのトークン）", "lead": "山田 花子"},
}


def a_lead_with_a_history(marketer: User, rep: User) -> Lead:
    lead = factories.lead(family_name="山田", given_name="花子", owner=rep, stage=Lead.Stage.SAL)
    card, _ = services.record_activity(
        lead,
        kind=Activity.Kind.CARD_EXCHANGE,
        occurred_at=timezone.now() - timedelta(days=18),
        actor=marketer,
        channel=Activity.Channel.IMPORT,
    )
    with transaction.atomic():  # as the worker does (the rows are locked)
        services.score_activities([card.pk])  # no rule for it yet: it earned nothing then
    ScoringRule.objects.create(
        name_ja="名刺交換", kind="card_exchange", points=40, half_life_days=30, position=99
    )
    view, _ = api_services.record_one_activity(
        lead, kind="page_view", actor=marketer, visible=Lead.objects.all()
    )
    with transaction.atomic():
        services.score_activities([view.pk])
    work.log_touch(lead, kind=Activity.Kind.CALL, note="予算について", by=rep)
    services.rescore_lead(lead.pk)
    return lead


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_timeline_and_the_breakdown_count_the_same_points(
    page: Page,
    live_server: Any,
    marketer: User,
    rep: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    lead = a_lead_with_a_history(marketer, rep)
    log_in(page, "marketer")
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    entries = page.get_by_test_id("timeline-entry")
    card = entries.filter(has_text="名刺交換").first
    expect(card.get_by_test_id("activity-points")).to_have_text("+26.4")
    page.get_by_test_id("score-explanation").locator("summary").first.click()
    rule = page.get_by_test_id("explanation-rule").filter(has_text="名刺交換")
    rule.locator("summary").click()
    expect(rule.get_by_test_id("explanation-activity")).to_contain_text("+26.4")
    expect(rule.get_by_test_id("explanation-counted")).to_have_text("+26.4")

    # The page view came through the marketer's token; the person did it.
    text = TEXT[language]
    viewed = entries.nth(1).get_by_test_id("activity-origin")
    expect(viewed).to_contain_text(f"{text['lead']} · {text['api']}")
    call = entries.first.get_by_test_id("activity-origin")
    expect(call).not_to_contain_text("API")
    screenshot(page, f"{language}-lead-timeline-points-and-origin")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{language}-lead-timeline-phone")
