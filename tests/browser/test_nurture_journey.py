"""A marketer nurtures: builds a segment, writes an email, previews it, sends
it; the lead clicks the tracked link; the click is on the lead's timeline and
the engagement score rose. Then the same pages in Japanese."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from crm.models import Campaign, Company, Consent, Lead
from nurture.models import Delivery, Send
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_marketer_sends_an_email_and_sees_the_click_raise_the_score(
    page: Page,
    browser: Browser,
    live_server: Any,
    settings: Any,
    marketer: User,
    campaign: Campaign,
    in_process_tasks: None,
    log_in: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    settings.BATON_BASE_URL = live_server.url
    settings.NURTURE_SEND_RATE_PER_SECOND = 0
    company = Company.objects.create(name="株式会社青葉商事", industry="it")
    lead = factories.lead(
        family_name="山田", given_name="太郎", email="yamada@aoba.example.jp",
        company=company, source_campaign=campaign,
    )  # fmt: skip
    Consent.objects.create(lead=lead, basis=Consent.Basis.CONSENT, source="capture:spring")
    factories.lead(family_name="佐藤", given_name="一郎", source_campaign=campaign)  # no consent
    factories.lead(family_name="鈴木", given_name="花子")  # another campaign

    # 1. A segment: the campaign's leads, counted live while the filter changes.
    log_in(page, "marketer")
    page.get_by_role("link", name="Nurture").click()
    page.get_by_role("link", name="New segment").click()
    page.wait_for_load_state()  # htmx is deferred: the live count needs it
    page.get_by_label("Name").fill("Spring webinar leads")
    page.get_by_label("Campaign", exact=True).select_option(label="Spring webinar")
    expect(page.get_by_test_id("segment-count")).to_have_text("2 leads")
    page.get_by_label("Email consent").select_option("yes")
    expect(page.get_by_test_id("segment-count")).to_have_text("1 lead")
    page.get_by_label("Email consent").select_option("")
    expect(page.get_by_test_id("segment-count")).to_have_text("2 leads")
    screenshot(page, "nurture-segment-form")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_test_id("segment-total")).to_have_text("2")
    expect(page.get_by_test_id("segment-contactable")).to_have_text("1")
    screenshot(page, "nurture-segment-detail")

    # 2. An email with merge fields and a link.
    page.get_by_role("link", name="Nurture").click()
    page.get_by_role("link", name="Emails").click()
    page.get_by_role("link", name="New email").click()
    page.locator("#id_name").fill("Webinar follow-up")
    page.get_by_label("Campaign", exact=True).select_option(label="Spring webinar")
    page.locator("#id_language").select_option("ja")
    page.locator("#id_subject").fill("{{ name }}、ウェビナーのご参加ありがとうございました")
    page.locator("#id_body").fill(
        "{{ company }}\n{{ name }}\n\n資料はこちらです: " + f"{live_server.url}/healthz"
    )
    screenshot(page, "nurture-email-form")
    page.get_by_role("button", name="Save and preview").click()

    # 3. Preview for a recipient of the segment.
    page.get_by_label("Segment").select_option(label="Spring webinar leads")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-subject")).to_contain_text("様、ウェビナー")
    page.get_by_label("Preview for").select_option(str(lead.pk))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-subject")).to_have_text(
        "山田 太郎 様、ウェビナーのご参加ありがとうございました"
    )
    expect(page.get_by_test_id("preview-body")).to_contain_text("株式会社青葉商事\n山田 太郎 様")
    screenshot(page, "nurture-email-preview")

    # 4. Send, confirmed with the count of leads who may be emailed: the job
    # runs, the progress gives way to the results.
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("confirm-total")).to_have_text("2")
    expect(page.get_by_test_id("confirm-reachable")).to_have_text("1")
    screenshot(page, "nurture-send-confirm")
    page.get_by_test_id("confirm-send").click()
    expect(page.get_by_test_id("send-done")).to_be_visible()
    expect(page.get_by_test_id("send-done")).to_have_text(
        "Sent to 1 lead. 1 lead was skipped: no marketing consent on record."
    )
    expect(page.get_by_test_id("result-delivered")).to_have_text("1")
    send = Send.objects.get()
    assert [m.to for m in mail.outbox] == [["yamada@aoba.example.jp"]]
    assert Delivery.objects.filter(send=send, status="skipped").count() == 1
    before = Lead.objects.get(pk=lead.pk).engagement_score

    # 5. The lead opens the tracked link in their own browser.
    tracked = re.search(r"http://\S+/nurture/c/\S+", str(mail.outbox[0].body))
    assert tracked
    reader = browser.new_context(locale="ja-JP")
    try:
        inbox = reader.new_page()
        inbox.goto(tracked[0])
        expect(inbox).to_have_url(f"{live_server.url}/healthz")
    finally:
        reader.close()

    # 6. The click is on the timeline and the score rose.
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Email link clicked")
    expect(timeline.get_by_test_id("activity-url").first).to_contain_text("/healthz")
    expect(page.get_by_test_id("engagement-score")).to_have_text(str(before + 5))
    screenshot(page, "nurture-lead-timeline-click")
    page.goto(f"{live_server.url}{send.get_absolute_url()}")
    expect(page.get_by_test_id("result-clicked")).to_have_text("1")
    expect(page.get_by_test_id("result-opened")).to_have_text("1")
    screenshot(page, "nurture-send-results")

    # 7. The same pages in Japanese.
    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_test_id("result-clicked")).to_have_text("1")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "nurture-send-results-ja")
    page.goto(f"{live_server.url}{send.segment.get_absolute_url()}edit/")
    screenshot(page, "nurture-segment-form-ja")
    page.goto(f"{live_server.url}{send.email.get_absolute_url()}?segment={send.segment_id}")
    screenshot(page, "nurture-email-preview-ja")
    page.goto(f"{live_server.url}/nurture/tracking/")
    screenshot(page, "nurture-tracking-ja")
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    screenshot(page, "nurture-lead-timeline-ja")


# The company's website, faked by route interception at an address of the
# live server's host (a public origin calling localhost would be stopped by
# Chromium's local network access checks; on the Internet both are public).
SITE_PATH = "/company-site"


def company_site(live_server: Any, campaign: Campaign, title: str) -> str:
    """A page of the company's website with the tracking script and, on it,
    the campaign's capture form, as the marketer pasted them."""
    return f"""<!doctype html><html><head><title>{title}</title>
<script src="{live_server.url}/static/js/baton-track.js"
        data-endpoint="{live_server.url}/nurture/collect/" defer></script></head>
<body><h1>{title}</h1>
<form method="post" action="{live_server.url}/capture/{campaign.capture_key}/">
  <label>Email <input name="email" type="email" required></label>
  <label>Family name <input name="family_name" required></label>
  <button type="submit">Send</button>
</form></body></html>"""


def test_the_tracking_script_joins_anonymous_visits_when_the_visitor_identifies(
    browser: Browser,
    live_server: Any,
    campaign: Campaign,
    in_process_tasks: None,
) -> None:
    from nurture import visits
    from nurture.models import PageView
    from tests.conftest import wait_until

    site = live_server.url + SITE_PATH
    context = browser.new_context(locale="ja-JP")
    try:
        context.route(
            f"{site}/**",
            lambda route: route.fulfill(
                content_type="text/html; charset=utf-8",
                body=company_site(live_server, campaign, route.request.url.rsplit("/", 1)[1]),
            ),
        )
        visit = context.new_page()
        visit.goto(f"{site}/home")
        wait_until(lambda: PageView.objects.count() == 1)
        visit.goto(f"{site}/pricing")
        wait_until(lambda: PageView.objects.count() == 2)
        cookie = next(c for c in context.cookies() if c["name"] == "baton_vid")
        assert set(PageView.objects.values_list("visitor_id", flat=True)) == {cookie["value"]}
        assert visits.join_visits() == 0  # anonymous so far

        visit.get_by_label("Email").fill("kimura@aoba.example.jp")
        visit.get_by_label("Family name").fill("木村")
        visit.get_by_role("button", name="Send").click()
        lead = wait_until(lambda: Lead.objects.filter(email="kimura@aoba.example.jp").first())
    finally:
        context.close()
    assert visits.join_visits() == 2
    urls = sorted(a.details["url"] for a in lead.activities.filter(kind="page_view"))
    assert urls == [f"{site}/home", f"{site}/pricing"]
    assert not PageView.objects.exists()


def test_the_tracking_script_records_nothing_under_do_not_track(
    browser: Browser, live_server: Any, campaign: Campaign
) -> None:
    import time

    from nurture.models import PageView

    site = live_server.url + SITE_PATH
    context = browser.new_context(extra_http_headers={"DNT": "1"})
    try:
        context.route(
            f"{site}/**",
            lambda route: route.fulfill(
                content_type="text/html; charset=utf-8",
                body=company_site(live_server, campaign, "home"),
            ),
        )
        page = context.new_page()
        page.goto(f"{site}/home")
        page.wait_for_load_state("networkidle")
        time.sleep(0.5)
    finally:
        context.close()
    assert not PageView.objects.exists()
