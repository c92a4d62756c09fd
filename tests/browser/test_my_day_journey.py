"""A rep's day, in English and Japanese: a call logged with a follow-up in 2
business days, the follow-up on My day when its day comes, the reminder at
its time, and the task completed. My day passes axe-core (no serious or
critical violation) and reads at phone width.

The test clock (time-machine) moves the application's clock, in the live
server's thread too; the database's clock stays, so the reminder sweep is
run with the moved time as its `now` (as tests/tasks/test_reminders.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from crm.models import Campaign, Deal
from handoff import services
from tasks import reminders
from tasks.models import Task
from tests import factories
from tests.browser.test_accessibility import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TOKYO = ZoneInfo("Asia/Tokyo")
# Thursday 10 December 2026, 10:00 in Tokyo: 2 business days later is Monday 14th.
THURSDAY = datetime(2026, 12, 10, 10, 0, tzinfo=TOKYO)
MONDAY_MORNING = datetime(2026, 12, 14, 9, 30, tzinfo=TOKYO)
MONDAY_LATER = datetime(2026, 12, 14, 10, 30, tzinfo=TOKYO)

WORDS = {
    "en-US": {
        "log": "Log it",
        "follow_up": "Follow up in (business days)",
        "my_day": "My day",
        "due_heading": "Tasks due today and overdue",
        "title": "Follow up: Call",
        "task_due": "Task due",
        "overdue": "Overdue",
        "done": "Complete “Follow up: Call”",
        "nothing": "Nothing due today.",
    },
    "ja-JP": {
        "log": "記録する",
        "follow_up": "フォローアップ（何営業日後）",
        "my_day": "今日の予定",
        "due_heading": "今日が期限のタスクと期限切れのタスク",
        "title": "フォローアップ：電話",
        "task_due": "タスクの期限",
        "overdue": "期限切れ",
        "done": "「フォローアップ：電話」を完了にする",
        "nothing": "今日が期限のものはありません。",
    },
}


def log_in(page: Page, base: str) -> None:
    """Through the form (in the page's language), as the rep."""
    page.context.clear_cookies()  # after the clock jumps days ahead the session has ended
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("rep")
    page.locator("#id_password").fill("pw")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_a_rep_follows_up_a_call_from_my_day(
    browser: Browser,
    live_server: Any,
    rep: User,
    campaign: Campaign,
    screenshot: Callable[[Page, str], Path],
    locale: str,
) -> None:
    words = WORDS[locale]
    context = browser.new_context(
        locale=locale,
        timezone_id="Asia/Tokyo",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
    )
    page = context.new_page()
    try:
        with time_machine.travel(THURSDAY, tick=True):
            handoff = factories.qualified_handoff(campaign)
            assert services.claim_handoff(handoff, rep=rep)
            Deal.objects.create(
                lead=handoff.lead, name="青葉商事 導入", owner=rep, amount=1200000,
                close_date=timezone.localdate() + timedelta(days=5),
            )  # fmt: skip
            # 1. Signed in, the rep lands on My day, and opens the lead being worked.
            log_in(page, live_server.url)
            expect(page.get_by_role("heading", name=words["my_day"], exact=True)).to_be_visible()
            page.get_by_test_id("day-handoffs").get_by_role("link").first.click()
            # 2. Logs a call with a follow-up in 2 business days.
            form = page.get_by_test_id("touch-form")
            form.get_by_label(words["follow_up"]).fill("2")
            screenshot(page, f"my-day-log-call-{locale}")
            form.get_by_role("button", name=words["log"]).click()
            expect(page.get_by_test_id("record-tasks")).to_contain_text(words["title"])
            task = Task.objects.get()
            assert task.due_at.astimezone(TOKYO).date().isoformat() == "2026-12-14"

        with time_machine.travel(MONDAY_MORNING, tick=True):
            # 3. Monday morning: the follow-up is on My day, due today.
            log_in(page, live_server.url)
            due = page.get_by_test_id("day-tasks")
            expect(due).to_contain_text(words["title"])
            expect(due.get_by_test_id("overdue")).to_have_count(0)
            assert serious_violations(page) == []
            screenshot(page, f"my-day-monday-{locale}")
            page.set_viewport_size({"width": 390, "height": 844})
            screenshot(page, f"my-day-monday-phone-{locale}")
            page.set_viewport_size({"width": 1280, "height": 900})

        with time_machine.travel(MONDAY_LATER, tick=True):
            # 4. Its time has come: the sweep reminds the rep, in the app and by email.
            assert reminders.sweep(now=timezone.now()).reminded == 1
            assert [
                m.to for m in mail.outbox if "Task due" in m.subject or "タスク" in m.subject
            ] == [[rep.email]]
            log_in(page, live_server.url)
            news = page.get_by_test_id("day-notifications")
            expect(news.get_by_test_id("reminder")).to_contain_text(words["title"])
            expect(news).to_contain_text(words["task_due"])
            expect(page.get_by_test_id("day-tasks").get_by_test_id("overdue")).to_have_text(
                words["overdue"]
            )
            assert serious_violations(page) == []
            screenshot(page, f"my-day-reminded-{locale}")
            # The reminder is a notification like the others: once in the badge
            # and once in the list, opening the task's record.
            expect(page.get_by_test_id("notification-badge")).to_have_text("1")
            page.goto(f"{live_server.url}/sales/notifications/")
            reminder = page.get_by_test_id("reminder-notification")
            expect(reminder).to_have_count(1)
            expect(reminder).to_contain_text(words["title"])
            expect(reminder.get_by_role("link")).to_have_attribute("href", task.record_url)
            assert serious_violations(page) == []
            screenshot(page, f"notifications-reminder-{locale}")
            page.get_by_role("link", name=words["my_day"], exact=True).click()
            # 5. Done: the task leaves My day, and its reminder the badge.
            page.get_by_test_id("day-tasks").get_by_role("button", name=words["done"]).click()
            expect(page.get_by_test_id("day-tasks")).to_contain_text(words["nothing"])
            expect(page.get_by_test_id("notification-badge")).to_have_text("0")
            screenshot(page, f"my-day-done-{locale}")
            task.refresh_from_db()
            assert task.done_by == rep
            assert reminders.sweep(now=timezone.now() + timedelta(days=1)).reminded == 0
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_manager_lands_on_team_today(
    browser: Browser,
    live_server: Any,
    rep: User,
    manager: User,
    campaign: Campaign,
    screenshot: Callable[[Page, str], Path],
    locale: str,
) -> None:
    """Overdue tasks per rep, the queue's age; no serious accessibility violation."""
    factories.qualified_handoff(campaign)  # waiting in the queue
    lead = factories.lead(owner=rep)
    for hours in (3, 30):
        Task.objects.create(
            title="Call back",
            due_at=timezone.now() - timedelta(hours=hours),
            assignee=rep,
            lead=lead,
        )
    context = browser.new_context(
        locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.locator("#id_username").fill("manager")
        page.locator("#id_password").fill("pw")
        page.locator("form button[type=submit]").last.click()
        table = page.get_by_test_id("overdue-by-rep")
        expect(table).to_contain_text("2")
        expect(table).to_contain_text("Suzuki")
        expect(page.get_by_test_id("queued-count")).to_have_text("1")
        assert serious_violations(page) == []  # the top bar fits too (its last button on dark)
        screenshot(page, f"team-today-{locale}")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, f"team-today-phone-{locale}")
    finally:
        context.close()
