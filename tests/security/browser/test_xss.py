"""An XSS corpus posted into every text field Baton accepts, then every page
that shows those fields opened in Chromium: not one dialog.

Paths in: the capture form and its JSON, the campaign, scoring-rule, touch,
answer, reject, deal and login forms, the lead search, the API (leads,
companies, activities, answers) and a CSV import (with a rejected row)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Dialog, Page

from crm.imports import jobs
from crm.models import Campaign, Company, Lead
from handoff import mql
from handoff.models import HandoffPolicy
from tests import factories
from tests.api.conftest import token_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "javascript:alert(4)",
    '<a href="javascript:alert(5)">x</a>',
    "</textarea><script>alert(6)</script>",
    "{{7*7}}{% debug %}${alert(8)}",
    "<iframe srcdoc='<script>parent.alert(9)</script>'>",
]
ALL = " ".join(CORPUS)


def short(payload: str, limit: int) -> str:
    return payload[:limit]


@pytest.fixture
def planted(campaign: Campaign, marketer: User, rep: User, manager: User) -> dict[str, Any]:
    """Every payload through every path in; returns what the pages need."""
    marketing = Client()
    marketing.force_login(marketer)
    sales = Client()
    sales.force_login(rep)
    visitor = Client()
    capture = reverse("capture", args=[campaign.capture_key])
    for n, payload in enumerate(CORPUS):
        # Capture form and JSON: every text field.
        fields = {
            "family_name": short(payload, 100),
            "given_name": short(payload, 100),
            "company": short(payload, 200),
            "title": short(payload, 100),
            "phone": short(payload, 30),
            "message": payload,
            "consent": "on",
        }
        visitor.post(capture, {"email": f"form{n}@example.jp", **fields})
        visitor.post(
            capture,
            data=json.dumps({"email": f"json{n}@example.jp", **fields}),
            content_type="application/json",
        )
        # Forms of the app.
        response = marketing.post(
            reverse("crm:campaign_create"),
            {
                "name": short(payload, 200),
                "channel": "web",
                "utm_code": f"xss-{n}",
                "budget": "0",
                "actual_cost": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[-3000:]
        response = marketing.post(
            reverse("handoff:scoring_rule_create"),
            {
                "name_en": short(payload, 100),
                "name_ja": short(payload, 100),
                "dimension": "fit",
                "condition": "title_contains",
                "value": payload,
                "points": "1",
                "is_active": "on",
            },
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
    # The API: leads, companies, activities, answers.
    api = token_client(marketer)
    api_lead = api.post(
        "/api/v1/leads/",
        {
            "email": "api@example.jp",
            "family_name": short(ALL, 100),
            "given_name": CORPUS[1],
            "title": CORPUS[0],
            "department": CORPUS[2],
        },
        format="json",
    ).json()["id"]
    assert api.post("/api/v1/companies/", {"name": ALL[:200]}, format="json").status_code == 201
    api.post(
        "/api/v1/activities/",
        {"lead": api_lead, "kind": "page_view", "details": {"url": CORPUS[3], "title": ALL}},
        format="json",
    )
    api.post(
        f"/api/v1/leads/{api_lead}/answers/",
        {"question": "budget", "answer": ALL, "source": "call"},
        format="json",
    )
    # A CSV import, one good row and one rejected, every column a payload.
    quoted = ALL.replace('"', '""')
    csv = (
        "email,family_name,given_name,company,title\n"
        f'import@example.jp,"{quoted}","{quoted}","{quoted}","{quoted}"\n'
        f'not-an-email,"{quoted}","{quoted}","{quoted}","{quoted}"\n'
    )
    job = jobs.create_job(
        csv.encode(), filename="<script>alert(10)</script>.csv", user=marketer, campaign=campaign,
        kind="imported",
    )  # fmt: skip
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    jobs.run(job.pk)  # in case the start only queued it
    # The rep's forms on a handed-off lead: touch, answer, reject; then a deal.
    HandoffPolicy.objects.update(recycle_cooldown_days=0)
    lead = Lead.objects.get(email="form0@example.jp")
    factories.set_scores(lead, engagement=HandoffPolicy.current().engagement_threshold + 1)

    with transaction.atomic():
        first = mql.hand_off_if_qualified(Lead.objects.select_for_update().get(pk=lead.pk))
    assert first is not None
    statuses = [
        sales.post(reverse("handoff:claim", args=[first.pk])).status_code,
        sales.post(
            reverse("handoff:log_touch", args=[lead.pk]), {"kind": "call", "note": ALL}
        ).status_code,
        sales.post(
            reverse("handoff:record_answer", args=[lead.pk]),
            {"question": "timeline", "answer": ALL, "source": "call"},
        ).status_code,
        sales.post(
            reverse("handoff:reject", args=[first.pk]), {"reason": "no_budget", "note": ALL}
        ).status_code,
    ]
    assert statuses == [302, 302, 302, 302]
    # The logged call rescored the lead: qualify it again.
    factories.set_scores(lead, engagement=HandoffPolicy.current().engagement_threshold + 1)
    with transaction.atomic():
        second = mql.hand_off_if_qualified(Lead.objects.select_for_update().get(pk=lead.pk))
    assert second is not None
    sales.post(reverse("handoff:claim", args=[second.pk]))
    sales.post(reverse("handoff:accept", args=[second.pk]), {"next": "detail"})
    sales.post(reverse("handoff:qualify", args=[second.pk]))
    sales.post(
        reverse("deals:open_from_handoff", args=[second.pk]), {"name": ALL[:200], "amount": "1"}
    )
    return {
        "lead": lead.pk,
        "api_lead": api_lead,
        "handoff": second.pk,
        "company": Company.objects.filter(name=ALL[:200]).get().pk,
        "form_company": Lead.objects.get(email="form1@example.jp").company_id,
        "campaign": Campaign.objects.get(utm_code="xss-0").pk,
        "job": job.pk,
    }


@pytest.fixture
def dialogs(page: Page) -> Iterator[list[str]]:
    opened: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        opened.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield opened


def visit(page: Page, url: str) -> str:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    return page.content()


def test_no_payload_runs_on_any_page(
    page: Page, live_server: Any, planted: dict[str, Any], dialogs: list[str], log_in: Any
) -> None:
    base = live_server.url
    page.evaluate("alert('probe')")  # the listener works: a dialog is seen
    assert len(dialogs) == 1 and dialogs[0].endswith("probe")
    dialogs.clear()
    log_in(page, "manager")
    pages = [
        "/crm/leads/",
        f"/crm/leads/?q={CORPUS[0]}",
        "/crm/leads/{lead}/",
        "/crm/leads/{api_lead}/",
        "/crm/companies/{company}/",
        "/crm/companies/{form_company}/",
        "/crm/campaigns/",
        "/crm/campaigns/{campaign}/",
        "/sales/queue/",
        "/sales/handoffs/{handoff}/",
        "/sales/notifications/",
        "/sales/scoring/",
        "/kpi/",
        "/audit/",
        "/crm/leads/{lead}/erase/",
    ]
    for path in pages:
        body = visit(page, base + path.format(**planted))
        assert "<script>alert(" not in body, path
    lead_page = visit(page, f"{base}/crm/leads/{planted['lead']}/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lead_page  # shown, as text
    assert "{{7*7}}" in page.inner_text("body")  # not rendered as a template
    # The marketer's pages: imports, duplicates, the scoring rules.
    page.context.clear_cookies()
    log_in(page, "marketer")
    for path in ["/crm/imports/", "/crm/imports/{job}/", "/crm/duplicates/", "/sales/scoring/"]:
        visit(page, base + path.format(**planted))
    # The rep's queue and notifications.
    page.context.clear_cookies()
    log_in(page, "rep")
    for path in ["/sales/queue/", "/sales/handoffs/{handoff}/", "/sales/notifications/"]:
        visit(page, base + path.format(**planted))
    # The login form with a payload as the username (shown again on failure).
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(CORPUS[1])
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    # And the public capture form, as a visitor re-shown its own invalid input.
    capture = Campaign.objects.get(pk=planted["campaign"]).capture_key
    page.goto(f"{base}/capture/{capture}/")
    page.get_by_label("Family name").fill(CORPUS[5])
    page.get_by_role("textbox", name="Email").fill("not-an-email")
    page.get_by_role("button").last.click()
    page.wait_for_load_state("networkidle")
    assert dialogs == []
