"""名寄せ in the browser: a merge is confirmed before it runs, merges every
chosen lead or none, and re-importing the file afterwards brings nobody back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm.models import Lead, LeadAlias
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The same person twice (two addresses, one phone), and someone else.
FILE = "\r\n".join(
    [
        "会社名,姓,名,E-mail,電話番号,名刺交換日",
        "青葉商事,山田,花子,hanako@aoba.example.jp,03-1234-5678,2026/10/01",
        "青葉商事,山田,,h.yamada@aoba.example.jp,03-1234-5678,2026/10/02",
        "北斗物流,佐藤,健,sato@hokuto.example.jp,,2026/10/02",
    ]
).encode("cp932")

TEXT = {
    "en": {
        "upload": "Upload and check columns",
        "dry_run": "Dry run: check every row",
        "review": "Review the merge…",
        "merge_into": "Merge into",
        "merged": "1 lead merged into",
        "not_merged": "Not merged:",
    },
    "ja": {
        "upload": "アップロードして列を確認",
        "dry_run": "テスト実行：全行をチェック",
        "review": "統合の内容を確認…",
        "merge_into": "に統合する",
        "merged": "1件のリードを",
        "not_merged": "統合できませんでした",
    },
}


def switch_language(page: Page, language: str) -> None:
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


def import_through_the_page(page: Page, base: str, upload: Path, text: dict[str, str]) -> None:
    page.goto(f"{base}/crm/imports/")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name=text["upload"]).click()
    page.get_by_role("button", name=text["dry_run"]).click()
    page.get_by_test_id("import-start").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_merge_is_confirmed_then_a_reimport_brings_nobody_back(
    page: Page,
    live_server: Any,
    marketer: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
    language: str,
) -> None:
    text = TEXT[language]
    upload = tmp_path / "cards.csv"
    upload.write_bytes(FILE)
    log_in(page, "marketer")
    switch_language(page, language)
    import_through_the_page(page, live_server.url, upload, text)
    assert Lead.objects.count() == 3
    keep = Lead.objects.get(email="hanako@aoba.example.jp")
    other = Lead.objects.get(email="h.yamada@aoba.example.jp")

    # 1. The duplicates page groups the two; reviewing the merge changes nothing yet.
    page.goto(f"{live_server.url}/crm/duplicates/")
    group = page.get_by_test_id("duplicate-group")
    group.locator(f"#keep-{keep.pk}").check()
    group.get_by_role("button", name=text["review"]).click()
    expect(page.get_by_test_id("merge-others")).to_contain_text("h.yamada@aoba.example.jp")
    expect(page.get_by_test_id("merge-aliases")).to_contain_text("h.yamada@aoba.example.jp")
    screenshot(page, f"{language}-merge-confirm")
    assert Lead.objects.count() == 3

    # 2. Confirmed: one lead left, the other's address kept as an alias.
    page.get_by_test_id("merge-confirm").click()
    expect(page.get_by_role("alert")).to_contain_text(text["merged"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("山田")
    screenshot(page, f"{language}-merge-done")
    assert not Lead.objects.filter(pk=other.pk).exists()
    assert LeadAlias.objects.filter(lead=keep, value="h.yamada@aoba.example.jp").exists()

    # 3. The same file again: nothing new, the merged person stays merged.
    import_through_the_page(page, live_server.url, upload, text)
    expect(page.get_by_test_id("count-new")).to_have_text("0")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    screenshot(page, f"{language}-reimport-after-merge")
    assert Lead.objects.count() == 2


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_group_that_cannot_all_be_merged_is_not_merged_at_all(
    page: Page,
    live_server: Any,
    marketer: User,
    rep: User,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    language: str,
) -> None:
    text = TEXT[language]
    phone = "03-5555-0000"
    # The newest first on the page: the one that merges fine comes before
    # the one that cannot (it was merged and deleted before the refusal).
    keep = Lead.objects.get(pk=factories.qualified_handoff().lead_id)
    blocked = Lead.objects.get(pk=factories.qualified_handoff().lead_id)
    fine = factories.lead(family_name="山本", phone=phone)
    Lead.objects.filter(pk__in=[keep.pk, blocked.pk]).update(phone=phone, phone_digits="0355550000")
    log_in(page, "marketer")
    switch_language(page, language)
    page.goto(f"{live_server.url}/crm/duplicates/")
    group = page.get_by_test_id("duplicate-group")
    group.locator(f"#keep-{keep.pk}").check()
    group.get_by_role("button", name=text["review"]).click()
    page.get_by_test_id("merge-confirm").click()
    expect(page.get_by_role("alert")).to_contain_text(text["not_merged"])
    screenshot(page, f"{language}-merge-refused")
    assert Lead.objects.filter(pk__in=[keep.pk, fine.pk, blocked.pk]).count() == 3
