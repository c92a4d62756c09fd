"""Issue 20's journey in Japanese: import an Eight export, find a card lead by
its reading in hiragana, see the basis of its email address with the
evidence, and send the card leads a nurture email (counted in the outbox)
through a segment whose sends use business cards only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Page, expect

from crm.models import Consent, Lead
from nurture.models import Segment
from tests import factories
from tests.nurture.conftest import email

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EIGHT = "\r\n".join(
    [
        "会社名,部署名,役職,姓,名,姓(かな),名(かな),e-mail,郵便番号,住所,TEL会社,TEL部門,TEL直通,"
        "Fax,携帯電話,URL,名刺交換日",
        "株式会社青葉商事,営業部,部長,山田,太郎,ﾔﾏﾀﾞ,ﾀﾛｳ,taro@aoba.example.jp,100-0001,"
        "東京都千代田区1-1,03-1111-0000,03-1111-2000,03-1111-2345,03-1111-9999,090-1234-5678,"
        "https://aoba.example.jp,2026/10/01",
        "(一社)みなと協会,事務局,,佐藤,花子,サトウ,ハナコ,hana@minato.example.jp,,,,,,,,,2026/10/02",
    ]
).encode("cp932")


def test_card_leads_are_imported_found_in_hiragana_and_emailed(
    page: Page,
    live_server: Any,
    settings: Any,
    marketer: User,
    in_process_tasks: None,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    settings.BATON_BASE_URL = live_server.url
    settings.NURTURE_SEND_RATE_PER_SECOND = 0
    upload = tmp_path / "eight.csv"
    upload.write_bytes(EIGHT)
    log_in(page, "marketer")
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    # 1. The Eight export: recognised, business cards are addresses given in writing.
    page.goto(f"{live_server.url}/crm/imports/")
    expect(page.locator("#id_consent_basis")).to_have_value(Consent.Basis.WRITTEN_NOTICE)
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="アップロードして列を確認").click()
    expect(page.get_by_test_id("card-profile")).to_contain_text("Eight")
    screenshot(page, "ja-card-import-mapping")
    page.get_by_role("button", name="テスト実行：全行をチェック").click()
    expect(page.get_by_test_id("count-new")).to_have_text("2")
    page.get_by_test_id("import-start").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()

    # 2. Found by its reading typed in hiragana (the file had half-width kana).
    page.goto(f"{live_server.url}/crm/leads/?q=やまだ")
    expect(page.get_by_role("link", name="山田 太郎")).to_be_visible()
    expect(page.get_by_role("link", name="佐藤 花子")).to_have_count(0)
    screenshot(page, "ja-card-search-hiragana")

    # 3. The lead page: every number, and the basis with its evidence.
    page.get_by_role("link", name="山田 太郎").click()
    expect(page.get_by_test_id("phone-direct")).to_have_text("03-1111-2345")
    consents = page.get_by_test_id("consents")
    expect(consents).to_contain_text("書面による通知（名刺交換）")
    expect(consents).to_contain_text("eight.csv")
    expect(page.get_by_test_id("consent-obtained")).to_be_visible()
    screenshot(page, "ja-card-lead")

    # 4. A segment of the card leads whose sends use business cards only:
    # the page counts the reachable per basis.
    lead_with_opt_in = factories.lead(family_name="鈴木")
    Consent.objects.create(lead=lead_with_opt_in, basis=Consent.Basis.CONSENT)
    page.goto(f"{live_server.url}/nurture/segments/new/")
    page.get_by_label("名前", exact=True).fill("名刺の方々")
    bases = page.get_by_test_id("segment-consent-bases")
    for basis in bases.get_by_role("checkbox").all():
        basis.uncheck()
    bases.get_by_label("書面による通知（名刺交換）").check()
    screenshot(page, "ja-card-segment-form")
    page.get_by_role("button", name="セグメントを保存").click()
    expect(page.get_by_test_id("segment-total")).to_have_text("3")
    expect(page.get_by_test_id("segment-contactable")).to_have_text("2")
    per_basis = page.get_by_test_id("segment-bases")
    expect(per_basis.get_by_role("row", name="書面による通知（名刺交換） 2 はい")).to_be_visible()
    expect(per_basis.get_by_role("row", name="オプトイン（同意） 1 いいえ")).to_be_visible()
    screenshot(page, "ja-card-segment")
    viewport = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot(page, "ja-card-segment-phone")
    assert viewport is not None
    page.set_viewport_size(viewport)
    cards = Segment.objects.get(name="名刺の方々")
    assert cards.consent_bases == [Consent.Basis.WRITTEN_NOTICE]

    # 5. A nurture email to the segment: both card leads, not the opt-in one.
    welcome = email(marketer)
    page.goto(f"{live_server.url}{welcome.get_absolute_url()}?segment={cards.pk}")
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("confirm-reachable")).to_have_text("2")
    expect(page.get_by_test_id("confirm-bases")).to_have_text("書面による通知（名刺交換）")
    page.get_by_test_id("confirm-send").click()
    expect(page.get_by_test_id("send-done")).to_be_visible()
    screenshot(page, "ja-card-send-done")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hana@minato.example.jp",
        "taro@aoba.example.jp",
    ]
    assert Lead.objects.with_marketing_consent(bases=[Consent.Basis.WRITTEN_NOTICE]).count() == 2
