"""The import page in both languages: the file's row count stays what it was,
rows that could not be imported are not called by sales' word for a rejected
handoff, and the file of those rows is headed in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm.models import Lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Eight rows: five people, one of them twice, and two that cannot be imported.
FILE = "\r\n".join(
    [
        "会社名,姓,名,E-mail,名刺交換日",
        "青葉商事,髙橋,一郎,takahashi@aoba.example.jp,2026/10/01",
        "青葉商事,山﨑,花子,yamazaki@aoba.example.jp,2026/10/01",
        "北斗物流,佐藤,健,sato@hokuto.example.jp,2026/10/02",
        "北斗物流,佐藤,健,SATO@hokuto.example.jp,2026/10/02",
        "みなと製作所,鈴木,次郎,suzuki@minato.example.jp,2026/10/03",
        "みなと製作所,田中,,tanaka@minato.example.jp,2026/10/03",
        "みなと製作所,伊藤,,not-an-email,2026/10/03",
        "みなと製作所,渡辺,,,2026/10/03",
    ]
).encode("cp932")

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "rows": "8 rows",
        "upload": "Upload and check columns",
        "dry_run": "Dry run: check every row",
        "start": "Import now",
        "not_imported": "Not imported",
        "download": "Download the rows not imported, with the reason for each (CSV)",
        "header": ["Line", "Reason"],
        "reason": "“not-an-email” is not a valid email address.",
    },
    "ja": {
        "rows": "8行",
        "upload": "アップロードして列を確認",
        "dry_run": "テスト実行：全行をチェック",
        "start": "インポートを実行",
        "not_imported": "取り込めなかった行",
        "download": "取り込めなかった行を理由付きですべてダウンロード（CSV）",
        "header": ["行", "理由"],
        "reason": "「not-an-email」は正しいメールアドレスではありません。",
    },
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_import_keeps_its_row_count_and_speaks_the_readers_language(
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
    if language == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.goto(f"{live_server.url}/crm/imports/")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name=text["upload"]).click()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text(text["rows"])
    page.get_by_role("button", name=text["dry_run"]).click()
    expect(page.get_by_test_id("count-new")).to_have_text("5")
    expect(page.get_by_test_id("count-rejected")).to_have_text("2")
    screenshot(page, f"{language}-import-dry-run")

    page.get_by_test_id("import-start").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    expect(summary).to_contain_text(text["rows"])  # still the file's eight rows
    expect(page.get_by_test_id("import-counts").first).to_contain_text(text["not_imported"])
    expect(page.locator("main, body").first).not_to_contain_text("差し戻し")
    screenshot(page, f"{language}-import-done")
    assert Lead.objects.count() == 5

    with page.expect_download() as download:
        page.get_by_role("link", name=text["download"]).click()
    rows = list(
        csv.reader(io.StringIO(Path(download.value.path()).read_bytes().decode("utf-8-sig")))
    )
    assert rows[0] == [*text["header"], "会社名", "姓", "名", "E-mail", "名刺交換日"]
    assert [row[0] for row in rows[1:]] == ["8", "9"]
    assert rows[1][1] == text["reason"]
