"""A marketer saves a view of the lead list, selects three leads and assigns
them to a rep; the list then opens with the view. In English and Japanese,
at desktop and phone width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from crm.models import Lead, SavedView
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXT = {
    "en": {
        "stage": "Stage",
        "save": "Save",
        "changed": "3 leads changed.",
        "saved": "saved",
        "rename": "Rename",
    },
    "ja": {
        "stage": "ステージ",
        "save": "保存",
        "changed": "3 件のリードを変更しました。",
        "saved": "保存しました",
        "rename": "名前を変更",
    },
}


def switch_language(page: Page, language: str) -> None:
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_marketer_saves_a_view_selects_three_leads_and_assigns_them(
    page: Page,
    live_server: Any,
    marketer: User,
    rep: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    text = TEXT[language]
    mqls = [
        factories.lead(family_name=name, stage="mql") for name in ("山田", "佐藤", "鈴木", "高橋")
    ]
    factories.lead(family_name="田中", stage="lead")
    log_in(page, "marketer")
    switch_language(page, language)
    page.goto(f"{live_server.url}/crm/leads/")

    # 1. Filter to MQLs, hide the email column, save it as the default view.
    page.locator("#id_stage").select_option("mql")
    expect(page.get_by_test_id("lead-count")).to_contain_text("4")
    page.locator("details:has(.lead-columns) > summary").click()
    page.locator("#col-email").uncheck()
    # The box column, the name and five others: the email is gone.
    expect(page.locator("#results thead th")).to_have_count(7)
    page.get_by_test_id("save-view").click()
    page.locator("#view-name").fill("MQL 東京")
    page.locator("#view-default").check()
    page.get_by_test_id("save-view-form").get_by_role("button", name=text["save"]).click()
    expect(page.get_by_role("alert").first).to_contain_text(text["saved"])
    view = SavedView.objects.get()
    assert "stage=mql" in view.query and "email" not in view.columns

    # 2. Opening the list with no query applies the view.
    page.goto(f"{live_server.url}/crm/leads/")
    expect(page).to_have_url(f"{live_server.url}/crm/leads/?{_address(view)}")
    expect(page.get_by_test_id("views-menu")).to_contain_text("MQL 東京")
    expect(page.get_by_test_id("lead-count")).to_contain_text("4")

    # 3. Three leads ticked, assigned to the rep.
    boxes = page.get_by_test_id("select-lead")
    for index in range(3):
        boxes.nth(index).check()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("3")
    page.get_by_test_id("bulk-action").select_option("assign")
    page.get_by_test_id("bulk-owner").select_option(value=str(rep.pk))
    screenshot(page, f"{language}-lead-list-bulk-selected")
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_role("alert").first).to_contain_text(text["changed"])
    # Back to the list as it was: the view and its columns.
    expect(page.get_by_test_id("views-menu")).to_contain_text("MQL 東京")
    expect(page.locator("#results thead th")).to_have_count(7)
    screenshot(page, f"{language}-lead-list-bulk-assigned")
    assert Lead.objects.filter(owner=rep).count() == 3
    assert Lead.objects.filter(pk__in=[m.pk for m in mqls], owner__isnull=True).count() == 1
    entry = AuditEntry.objects.get(action="owner_changed")
    assert len(entry.changes["ids"]) == 3

    # 4. At phone width the bar and the boxes stay usable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("select-page").check()
    expect(page.get_by_test_id("bulk-all")).to_be_visible()
    screenshot(page, f"{language}-lead-list-bulk-phone")

    # 5. The views page: rename the view; it stays the default.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/crm/leads/views/")
    page.locator(f"#name-{view.pk}").fill("MQL 大阪")
    page.get_by_role("button", name=text["rename"]).click()
    expect(page.get_by_test_id("saved-view-list")).to_contain_text("MQL 大阪")
    expect(page.get_by_test_id("default-view")).to_be_visible()
    screenshot(page, f"{language}-saved-views")


def _address(view: SavedView) -> str:
    from crm import saved_views

    return saved_views.address(view)
