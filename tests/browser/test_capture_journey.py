"""Capture in the browser: the campaign page's tagged links and copy buttons,
the form that sends the visitor back to the website, and the lead page's
proposed changes after an untrusted submit. English and Japanese."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm.models import Campaign, Company, Lead, ProposedChange, Touch
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "build": "Build the link",
        "copy": "Copy",
        "copied": "Copied",
        "source": "Source",
        "medium": "Medium",
        "page": "Page",
        "apply": "Apply",
        "dismiss": "Dismiss",
        "proposed": "Proposed changes",
    },
    "ja": {
        "build": "リンクを作成",
        "copy": "コピー",
        "copied": "コピーしました",
        "source": "参照元",
        "medium": "メディア",
        "page": "ページ",
        "apply": "反映する",
        "dismiss": "却下する",
        "proposed": "変更の提案",
    },
}


class CompanySite:
    """The company's website on a port of its own (another origin than
    Baton's): a page per path, the snippet pasted on it. Served for real, so
    that Baton's redirect after the submit (which Playwright's routes do not
    intercept) reaches it."""

    def __init__(self) -> None:
        self.snippet = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                title = self.path.split("?")[0].strip("/") or "home"
                body = site_page(site.snippet, f"Aoba: {title}").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def company_site() -> Iterator[CompanySite]:
    site = CompanySite()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


# The campaign form's sentences for a negative budget, a UTM code with a
# space and a redirect elsewhere.
CAMPAIGN_ERRORS = {
    "en": [
        "The budget cannot be negative.",
        "Use only letters, digits, hyphens and underscores",
        "must be on one of the allowed hosts",
    ],
    "ja": [
        "予算にマイナスの金額は入力できません。",
        "半角英数字・ハイフン・アンダースコアだけを使い",
        "許可したホストのいずれかにある必要があります",
    ],
}


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    """A marketer's browser that may use the clipboard."""
    context = browser.new_context(
        locale="en-US",
        timezone_id="Asia/Tokyo",
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    yield context
    context.close()


def signed_in(
    context: BrowserContext, log_in: Callable[[Page, str], None], user: str, lang: str
) -> Page:
    page = context.new_page()
    log_in(page, user)
    if lang == "ja":
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    return page


def clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


@pytest.fixture
def site_campaign(campaign: Campaign, company_site: CompanySite) -> Campaign:
    campaign.allowed_hosts = company_site.host
    campaign.redirect_url = f"{company_site.url}/thanks"
    campaign.save()
    return campaign


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_campaign_page_builds_tagged_links_and_copies_them(
    desk: BrowserContext,
    live_server: Any,
    marketer: User,
    site_campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    lang: str,
) -> None:
    words = TEXT[lang]
    page = signed_in(desk, log_in, "marketer", lang)
    page.goto(f"{live_server.url}{site_campaign.get_absolute_url()}")
    page.wait_for_load_state()  # htmx is deferred
    host = site_campaign.allowed_host_list()[0]
    builder = page.get_by_test_id("link-builder")
    expect(builder.get_by_label(words["page"])).to_have_value(f"https://{host}/")

    # 1. The snippet's copy button puts the form, as text, on the clipboard.
    page.get_by_test_id("copy-snippet").click()
    expect(page.get_by_test_id("copy-snippet")).to_have_text(words["copied"])
    snippet = clipboard(page)
    assert snippet.startswith(f'<form method="post" action="{live_server.url}/capture/')
    assert "baton-capture.js" in snippet and "&lt;" not in snippet

    # 2. A tagged link, built in place (htmx) and copied.
    builder.get_by_label(words["page"]).fill("https://aoba.example.jp/seminar?ref=top")
    builder.get_by_label(words["source"]).fill("newsletter")
    builder.get_by_label(words["medium"]).fill("email")
    builder.get_by_role("button", name=words["build"]).click()
    link = page.get_by_test_id("tagged-link")
    expected = (
        "https://aoba.example.jp/seminar?ref=top"
        "&utm_source=newsletter&utm_medium=email&utm_campaign=spring"
    )
    expect(link).to_have_value(expected)
    assert page.url.endswith(site_campaign.get_absolute_url())  # no reload
    page.get_by_test_id("copy-tagged-link").click()
    expect(page.get_by_test_id("copy-tagged-link")).to_have_text(words["copied"])
    assert clipboard(page) == expected
    screenshot(page, f"campaign-tagged-link-{lang}")

    # 3. A wrong address gets a sentence instead of a link.
    builder.get_by_label(words["page"]).fill("not a page")
    builder.get_by_role("button", name=words["build"]).click()
    expect(page.get_by_test_id("tagged-link-errors")).to_be_visible()
    expect(page.get_by_test_id("tagged-link")).to_have_count(0)

    page.set_viewport_size({"width": 390, "height": 844})
    builder.get_by_label(words["page"]).fill("https://aoba.example.jp/")
    builder.get_by_role("button", name=words["build"]).click()
    expect(page.get_by_test_id("tagged-link")).to_be_visible()
    screenshot(page, f"campaign-tagged-link-{lang}-phone")

    # 4. The campaign form answers in sentences, never with a constraint's name.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{site_campaign.get_absolute_url()}edit/")
    page.locator("#id_budget").fill("-1")
    page.locator("#id_utm_code").fill("spring webinar")
    page.locator("#id_redirect_url").fill("https://evil.example.com/")
    page.locator("#content form button[type=submit]").click()
    for sentence in CAMPAIGN_ERRORS[lang]:
        expect(page.locator("#content")).to_contain_text(sentence)
    content = page.locator("#content").inner_text()
    assert "campaign_money_not_negative" not in content and "slug" not in content
    screenshot(page, f"campaign-form-errors-{lang}")


def site_page(snippet: str, title: str) -> str:
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>{title}</title></head><body><h1>{title}</h1>{snippet}</body></html>"""


def test_the_embedded_form_sends_the_visitor_back_with_the_campaign_attributed(
    browser: Browser,
    desk: BrowserContext,
    live_server: Any,
    marketer: User,
    site_campaign: Campaign,
    company_site: CompanySite,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # The marketer copies the snippet from the campaign page, as it would be pasted.
    page = signed_in(desk, log_in, "marketer", "en")
    page.goto(f"{live_server.url}{site_campaign.get_absolute_url()}")
    expect(page.get_by_test_id("capture-redirect")).to_contain_text(f"{company_site.url}/thanks")
    company_site.snippet = page.locator("#capture-snippet").text_content() or ""

    visitor = browser.new_context(locale="ja-JP")
    try:
        form = visitor.new_page()
        form.goto(
            f"{company_site.url}/seminar?utm_source=newsletter&utm_medium=email&utm_campaign=spring"
        )
        # baton-capture.js adds the page's parameters to the form.
        expect(form.locator("input[name='utm_source']")).to_have_value("newsletter")
        form.get_by_role("textbox", name="Email").fill("kimura@aoba.example.jp")
        form.get_by_role("textbox", name="Family name").fill("木村")
        screenshot(form, "embedded-form-on-site")
        form.get_by_role("button", name="Send").click()
        expect(form).to_have_url(f"{company_site.url}/thanks")
        expect(form.get_by_role("heading", name="Aoba: thanks")).to_be_visible()
        screenshot(form, "embedded-form-back-on-site")
    finally:
        visitor.close()
    lead = Lead.objects.get(email="kimura@aoba.example.jp")
    first = Touch.objects.get(lead=lead, position="first")
    assert (first.campaign, first.source, first.medium) == (site_campaign, "newsletter", "email")


def test_the_hosted_form_sends_the_visitor_back_to_the_site(
    browser: Browser,
    site_campaign: Campaign,
    company_site: CompanySite,
    live_server: Any,
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Baton and the site are two origins: the hosted form's policy must let
    # the form's redirect go to the site (CSP form-action covers redirects).
    visitor = browser.new_context(locale="en-US")
    try:
        form = visitor.new_page()
        form.goto(f"{live_server.url}/capture/{site_campaign.capture_key}/?utm_source=qr")
        form.get_by_role("textbox", name="Email").fill("sato@aoba.example.jp")
        form.get_by_role("textbox", name="Family name").fill("佐藤")
        screenshot(form, "hosted-form")
        form.get_by_role("button", name="Send").click()
        expect(form).to_have_url(f"{company_site.url}/thanks")
        expect(form.get_by_role("heading", name="Aoba: thanks")).to_be_visible()
    finally:
        visitor.close()
    lead = Lead.objects.get(email="sato@aoba.example.jp")
    assert Touch.objects.get(lead=lead, position="first").source == "qr"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_lead_page_shows_proposed_changes_to_apply_or_dismiss(
    browser: Browser,
    desk: BrowserContext,
    live_server: Any,
    marketer: User,
    rep: User,
    campaign: Campaign,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
    lang: str,
) -> None:
    words = TEXT[lang]
    lead = factories.lead(
        email="kato@aoba.example.jp",
        family_name="加藤",
        given_name="真由美",
        title="情報システム部長",
        company=Company.objects.create(name="株式会社青葉商事"),
        owner=rep,
        stage=Lead.Stage.SAL,
    )
    # Someone sends the hosted form with the lead's address and other details.
    visitor = browser.new_context(locale="ja-JP")
    try:
        form = visitor.new_page()
        form.goto(f"{live_server.url}/capture/{campaign.capture_key}/")
        form.get_by_role("textbox", name="メール").fill("kato@aoba.example.jp")
        form.get_by_role("textbox", name="姓").fill("加藤")
        form.get_by_role("textbox", name="役職").fill("アルバイト")
        form.get_by_role("textbox", name="会社名").fill("詐欺商事")
        form.get_by_role("button", name="送信").click()
        expect(form.get_by_test_id("capture-thanks")).to_be_visible()
    finally:
        visitor.close()

    page = signed_in(desk, log_in, "rep", lang)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    box = page.get_by_test_id("proposed-changes")
    expect(box.get_by_role("heading", name=words["proposed"])).to_be_visible()
    expect(box.get_by_test_id("proposed-change")).to_have_count(2)
    expect(box).to_contain_text("情報システム部長")
    expect(box).to_contain_text("アルバイト")
    screenshot(page, f"lead-proposed-changes-{lang}")

    title_row = box.get_by_test_id("proposed-change").filter(has_text="アルバイト")
    title_row.get_by_role("button", name=words["dismiss"]).click()
    company_row = page.get_by_test_id("proposed-change").filter(has_text="詐欺商事")
    company_row.get_by_role("button", name=words["apply"]).click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("proposed-changes")).to_have_count(0)
    screenshot(page, f"lead-proposed-changes-decided-{lang}")

    lead.refresh_from_db()
    assert lead.company is not None
    assert (lead.title, lead.company.name) == ("情報システム部長", "詐欺商事")
    assert set(ProposedChange.objects.values_list("status", flat=True)) == {
        "applied",
        "dismissed",
    }
