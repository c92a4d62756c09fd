"""Website tracking: the collection endpoint, and joining visits to leads."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, Lead, ScoringRule
from nurture import sending, visits
from nurture.models import Delivery, PageView, Visitor
from tests.nurture.conftest import consenting, email, segment

pytestmark = pytest.mark.django_db

VISITOR = "v" * 24
COLLECT = "/nurture/collect/"


def view(client, url: str = "https://aoba.example.jp/pricing", **extra):
    body = {"v": VISITOR, "u": url, "t": "料金 | 青葉商事", **extra.pop("body", {})}
    return client.post(COLLECT, json.dumps(body), content_type="text/plain", **extra)


def test_a_page_view_is_one_small_row_and_nothing_else(client):
    assert reverse("nurture:collect") == COLLECT
    with CaptureQueriesContext(connection) as queries:
        response = view(client)
    # The INSERT (and on PostgreSQL the SET LOCAL that spares it the fsync
    # wait); savepoints are the test's transaction, not the endpoint's.
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == (2 if connection.vendor == "postgresql" else 1), statements
    assert response.status_code == 204
    row = PageView.objects.get()
    assert (row.visitor_id, row.url, row.title) == (
        VISITOR,
        "https://aoba.example.jp/pricing",
        "料金 | 青葉商事",
    )


@pytest.mark.parametrize("header", [{"HTTP_DNT": "1"}, {"HTTP_SEC_GPC": "1"}])
def test_visitors_who_refuse_tracking_are_not_recorded(client, header):
    assert view(client, **header).status_code == 204
    assert not PageView.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        (json.dumps({"v": "short", "u": "https://a.example/"}), 400),
        (json.dumps({"v": VISITOR, "u": "javascript:alert(1)"}), 400),
        (json.dumps({"v": VISITOR, "u": "https://a.example/", "t": "x" * 5000}), 413),
        (json.dumps([1, 2]), 400),
    ],
)
def test_bad_bodies_are_refused_without_a_row(client, body, status):
    response = client.post(COLLECT, body, content_type="text/plain")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not PageView.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 2047,  # a RecursionError inside json.loads, before
        json.dumps({"v": VISITOR, "u": "https://a.example/", "t": [[["deep"]]]}),
        json.dumps({"v": VISITOR, "u": "https://a.example/\u0000"}),
        json.dumps({"v": VISITOR, "u": "https://a.example/", "t": "料金\u0000"}),
        json.dumps({"v": VISITOR, "u": "https://a.example/", "i": "\ud800"}),
        '{"v": "' + VISITOR + '", "u": "https://a.example/", "t": 1e400}',
    ],
)
def test_nesting_nul_and_surrogates_are_a_400_not_a_500(client, body):
    # json.dumps escapes the NUL and the surrogate: the wire carries \\u0000 and \\ud800.
    response = client.post(COLLECT, body, content_type="text/plain")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not PageView.objects.exists()


def test_a_flood_from_one_address_is_cut_off(client, settings):
    settings.NURTURE_COLLECT_PER_IP_PER_MINUTE = 3
    statuses = [view(client).status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 429, 429]
    assert PageView.objects.count() == 3


def test_only_post_is_accepted(client):
    response = client.get(COLLECT)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["detail"]


def test_anonymous_visits_join_the_lead_when_the_visitor_submits_a_capture_form(
    client, campaign, django_capture_on_commit_callbacks, in_process_tasks
):
    view(client, "https://aoba.example.jp/")
    view(client, "https://aoba.example.jp/pricing")
    assert visits.join_visits() == 0  # nobody knows who this is yet
    client.post(
        reverse("capture", args=[campaign.capture_key]),
        {"email": "hanako@example.jp", "family_name": "佐藤", "visitor_id": VISITOR},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert visits.join_visits() == 2
    lead = Lead.objects.get(email="hanako@example.jp")
    viewed = Activity.objects.filter(lead=lead, kind=Activity.Kind.PAGE_VIEW)
    assert sorted(a.details["url"] for a in viewed) == [
        "https://aoba.example.jp/",
        "https://aoba.example.jp/pricing",
    ]
    assert not PageView.objects.exists()
    # form submit 20 + two page views at 2 each, scored by the worker's path
    assert Lead.objects.get(pk=lead.pk).engagement_score == 24
    # Later views of the same visitor join at once.
    view(client, "https://aoba.example.jp/case-studies")
    assert visits.join_visits() == 1


def test_a_malformed_visitor_id_never_loses_the_capture(client, campaign):
    response = client.post(
        reverse("capture", args=[campaign.capture_key]),
        {"email": "x@example.jp", "family_name": "佐藤", "visitor_id": "<script>"},
    )
    assert response.status_code == 200
    assert "visitor_id" not in Activity.objects.get().details["form"]


def test_a_tracked_email_click_identifies_the_visitor_on_the_company_site(
    client, marketer, settings, fast_sends
):
    settings.NURTURE_SITE_HOSTS = ["aoba.example.jp"]
    lead = consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    sending.run(send.pk)
    tracked = mail.outbox[0].body.split("こちら ")[1].split()[0]
    target = client.get(tracked.removeprefix("http://testserver"))["Location"]
    assert target.startswith("https://aoba.example.jp/pricing?bt_v=")
    token = parse_qs(urlsplit(target).query)["bt_v"][0]  # as the script reads it
    view(client, "https://aoba.example.jp/pricing", body={"i": token})
    assert visits.join_visits() == 1
    assert Visitor.objects.get().lead == lead
    assert Activity.objects.filter(lead=lead, kind=Activity.Kind.PAGE_VIEW).count() == 1
    assert Delivery.objects.get().clicked_at is not None


def test_links_to_other_sites_do_not_carry_the_visitor(client, marketer, fast_sends):
    consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    sending.run(send.pk)
    tracked = mail.outbox[0].body.split("こちら ")[1].split()[0]
    assert client.get(tracked)["Location"] == "https://aoba.example.jp/pricing"


def test_a_forged_identity_token_identifies_nobody(client):
    consenting()
    view(client, body={"i": "1:forged"})
    assert visits.join_visits() == 0
    assert not Visitor.objects.exists()
    assert PageView.objects.get().identity == ""


def test_anonymous_visits_are_purged_after_the_retention(client, settings):
    settings.NURTURE_ANONYMOUS_VISIT_DAYS = 30
    view(client)
    PageView.objects.create(
        visitor_id="w" * 20,
        url="https://a.example/",
        occurred_at=timezone.now() - timedelta(days=31),
    )
    assert visits.purge_anonymous() == 1
    assert PageView.objects.count() == 1


def test_scoring_rules_match_page_views_by_url(
    client, campaign, django_capture_on_commit_callbacks, in_process_tasks
):
    ScoringRule.objects.create(
        name_en="Pricing", kind="page_view", url_contains="/pricing", points=30
    )
    lead = consenting()
    visits.identify(VISITOR, lead.pk)
    view(client, "https://aoba.example.jp/pricing")
    view(client, "https://aoba.example.jp/blog")
    with django_capture_on_commit_callbacks(execute=True):
        visits.join_visits()
    # 2 + 2 from the default page-view rule, 30 from the pricing rule
    assert Lead.objects.get(pk=lead.pk).engagement_score == 34


def test_merging_two_leads_keeps_the_website_identity(client):
    from crm import merging

    keep, other = consenting(), consenting()
    visits.identify(VISITOR, other.pk)
    merging.merge_people(keep, others=[other])
    assert Visitor.objects.get().lead_id == keep.pk
