"""Japanese typography (issue 20 item 7): no word broken across lines in the
top bar, buttons, KPI card labels and table headers, at a laptop's 1366 px
and a phone's 390 px. Screenshots in test-artifacts/screenshots/ja-typography-*.

A label's lines are counted from the boxes its text is laid out in (a Range
over the element's contents: one client rect per line and inline piece; the
distinct tops are the lines).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm.models import Company
from tests import factories
from tests.conftest import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Each element's text: the number of lines it is laid out on.
LINES_OF = """
(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => el.checkVisibility() && el.textContent.trim())
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set();
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.height > 0) tops.add(Math.round(rect.top));
    }
    // Rects of one line differ by a pixel or two (a badge, a baseline shift).
    const sorted = [...tops].sort((a, b) => a - b);
    let lines = 0, last = -100;
    for (const top of sorted) { if (top - last > 8) lines += 1; last = top; }
    return [el.textContent.trim().replace(/\\s+/g, " "), lines];
  })
"""


def broken_labels(page: Page, selector: str) -> list[tuple[str, int]]:
    return [(text, lines) for text, lines in page.evaluate(LINES_OF, selector) if lines > 1]


@pytest.fixture
def everyone_in_the_top_bar(db: None) -> User:
    """A staff manager who is also a marketer and a rep: every top-bar link at once."""
    user = make_user("chief", "manager", first_name="Yuki", last_name="Takahashi", is_staff=True)
    from django.contrib.auth.models import Group

    user.groups.add(*Group.objects.filter(name__in=["marketer", "sales"]))
    company = Company.objects.create(name="株式会社青葉商事")
    for family, given, kana in [("山田", "太郎", "ヤマダ"), ("佐藤", "花子", "サトウ")]:
        factories.lead(family_name=family, given_name=given, family_name_kana=kana, company=company)
    return user


def japanese(page: Page, live_server_url: str, log_in: Callable[[Page, str], None]) -> None:
    log_in(page, "chief")
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")


NAV = "nav .nav-link, nav .navbar-text, nav .btn"
TABLE_HEADERS = "table th"
KPI_LABELS = ".kpi-card .card-title, .kpi-card .kpi-label, .kpi-card h2, .kpi-card h3"


def test_the_japanese_top_bar_keeps_every_label_on_one_line_at_1366_px(
    page: Page,
    everyone_in_the_top_bar: User,
    live_server,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.set_viewport_size({"width": 1366, "height": 800})
    japanese(page, live_server.url, log_in)
    expect(page.get_by_role("link", name="リード", exact=True).first).to_be_visible()
    screenshot(page, "ja-typography-1366-queue")
    assert broken_labels(page, NAV) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing sticks out
    page.get_by_role("link", name="KPI", exact=True).click()
    expect(page.get_by_role("heading", name="共有KPI")).to_be_visible()
    screenshot(page, "ja-typography-1366-kpi")
    assert broken_labels(page, NAV) == []
    assert broken_labels(page, KPI_LABELS) == []
    assert broken_labels(page, f"{TABLE_HEADERS}, main .btn") == []
    page.get_by_role("link", name="リード", exact=True).first.click()
    expect(page.get_by_role("heading", name="リード", exact=True)).to_be_visible()
    screenshot(page, "ja-typography-1366-leads")
    assert broken_labels(page, NAV) == []
    assert broken_labels(page, f"{TABLE_HEADERS}, main .btn") == []


def test_the_japanese_pages_keep_labels_whole_at_390_px(
    page: Page,
    everyone_in_the_top_bar: User,
    live_server,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    japanese(page, live_server.url, log_in)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="メニュー").click()
    page.wait_for_selector("#nav.collapse.show")  # opened, not still sliding
    expect(page.get_by_role("button", name="English")).to_be_in_viewport()
    screenshot(page, "ja-typography-390-menu")
    assert broken_labels(page, NAV) == []
    page.get_by_role("link", name="KPI", exact=True).click()
    expect(page.get_by_role("heading", name="共有KPI")).to_be_visible()
    screenshot(page, "ja-typography-390-kpi")
    assert broken_labels(page, KPI_LABELS) == []
    page.get_by_role("button", name="メニュー").click()
    page.wait_for_selector("#nav.collapse.show")
    page.get_by_role("link", name="リード", exact=True).first.click()
    expect(page.get_by_role("heading", name="リード", exact=True)).to_be_visible()
    screenshot(page, "ja-typography-390-leads")
    assert broken_labels(page, f"{TABLE_HEADERS}, main .btn") == []
