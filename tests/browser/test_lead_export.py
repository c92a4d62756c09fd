"""The lead export holds exactly the leads the page shows: after htmx
filtering, and after the browser's back and forward buttons."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, Response, expect

from crm.models import Campaign, Lead
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def count_text(language: str, n: int) -> str:
    if language == "ja":
        return f"{n}件のリード"
    return f"{n} lead" if n == 1 else f"{n} leads"


def switch_language(page: Page, language: str) -> None:
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


def some_leads(campaign: Campaign) -> None:
    """Eight leads: three 佐藤, one of them an MQL."""
    for n, stage in enumerate([Lead.Stage.MQL, Lead.Stage.LEAD, Lead.Stage.LEAD]):
        factories.lead(family_name="佐藤", given_name=f"花子{n}", stage=stage)
    for n in range(5):
        factories.lead(family_name="鈴木", given_name=f"一郎{n}", source_campaign=campaign)


def exported(page: Page, test_id: str = "export-utf8") -> list[list[str]]:
    """Click an export button and read the downloaded file's rows (header first)."""
    with page.expect_download() as download:
        page.get_by_test_id(test_id).click()
    content = Path(download.value.path()).read_bytes()
    encoding = "cp932" if test_id == "export-cp932" else "utf-8-sig"
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def expect_count(page: Page, language: str, n: int) -> None:
    expect(page.get_by_test_id("lead-count")).to_have_text(count_text(language, n))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_export_holds_the_leads_the_page_shows(
    page: Page,
    live_server: Any,
    marketer: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    some_leads(campaign)
    missing: list[str] = []

    def note_missing(response: Response) -> None:
        if response.status == 404:
            missing.append(response.url)

    page.on("response", note_missing)
    log_in(page, "marketer")
    switch_language(page, language)
    page.goto(f"{live_server.url}/crm/leads/")
    expect_count(page, language, 8)
    assert len(exported(page)) == 1 + 8

    # 1. Search: htmx replaces the results; the export follows.
    page.locator("#id_q").fill("佐藤")
    expect_count(page, language, 3)
    rows = exported(page)
    assert len(rows) == 1 + 3
    assert {row[0] for row in rows[1:]} == {"佐藤"}
    screenshot(page, f"{language}-lead-list-filtered-export")

    # 2. A second filter on top.
    page.locator("#id_stage").select_option("mql")
    expect_count(page, language, 1)
    assert len(exported(page)) == 1 + 1

    # 3. Back: the page shows the three again, and so does the file.
    page.go_back()
    expect_count(page, language, 3)
    expect(page.locator("#id_stage")).to_have_value("")
    expect(page.locator("#id_q")).to_have_value("佐藤")
    assert len(exported(page)) == 1 + 3
    screenshot(page, f"{language}-lead-list-after-back")

    # 4. Forward again: one.
    page.go_forward()
    expect_count(page, language, 1)
    expect(page.locator("#id_stage")).to_have_value("mql")
    assert len(exported(page)) == 1 + 1

    # 5. Back to where the list began: every lead.
    page.go_back()
    expect_count(page, language, 3)
    page.go_back()
    expect_count(page, language, 8)
    expect(page.locator("#id_q")).to_have_value("")
    assert len(exported(page)) == 1 + 8
    assert missing == []  # not even /favicon.ico
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{language}-lead-list-export-phone")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_shift_jis_losses_are_told_with_the_download_and_headers_are_readable(
    page: Page,
    live_server: Any,
    marketer: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    factories.lead(family_name="𠮷田", given_name="花子", email="yoshida@example.jp")
    factories.lead(family_name="鈴木", given_name="一郎", email="suzuki@example.jp")
    log_in(page, "marketer")
    switch_language(page, language)
    page.goto(f"{live_server.url}/crm/leads/")

    # Column headers in the reader's language, machine names on request.
    header = exported(page)[0]
    assert header[:2] == (["姓", "名"] if language == "ja" else ["Family name", "Given name"])
    page.locator("#export-machine-names").check()
    assert exported(page)[0][:2] == ["family_name", "given_name"]
    page.locator("#export-machine-names").uncheck()

    # Shift_JIS: the page names what it cannot hold before any file is saved.
    page.get_by_test_id("export-cp932").click()
    warning = page.get_by_test_id("replaced-warning")
    expect(warning).to_be_visible()
    expect(page.get_by_test_id("unwritable")).to_have_text("𠮷")
    screenshot(page, f"{language}-export-shift-jis-warning")
    with page.expect_download() as download:
        page.get_by_test_id("download-anyway").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_bytes().decode("cp932"))))
    assert sorted(row[0] for row in rows[1:]) == sorted(["?田", "鈴木"])
    expect(warning).to_be_visible()  # still beside the file just saved

    # The next page is not told about it again.
    page.get_by_role(
        "link", name="Back to the leads" if language == "en" else "リード一覧に戻る"
    ).click()
    expect(page.get_by_test_id("lead-count")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
