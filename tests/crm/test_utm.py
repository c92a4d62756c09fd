"""UTM attribution: captures and tracked page views carrying utm_* parameters
are attributed to the campaign their utm_campaign names, and each lead keeps
its first and its latest touch. The campaign page builds tagged links."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import attribution
from crm.attribution import Utm
from crm.models import Activity, Campaign, Lead, Touch
from nurture import visits
from nurture.models import PageView

pytestmark = pytest.mark.django_db

TAGS = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "AUTUMN-DX"}


@pytest.fixture
def autumn(marketer):
    return Campaign.objects.create(
        name="Autumn DX", channel="email", utm_code="autumn-dx", owner=marketer
    )


def url(campaign, query=""):
    return reverse("capture", args=[campaign.capture_key]) + query


def touches(lead):
    return {t.position: t for t in Touch.objects.filter(lead=lead)}


def test_a_tagged_form_submit_is_attributed_to_the_campaign_its_utm_names(client, campaign, autumn):
    client.post(url(campaign), {"email": "u@example.jp", "family_name": "U", **TAGS})
    lead = Lead.objects.get()
    # Matched without case; the new lead's source is its first touch.
    assert lead.source_campaign == autumn
    activity = lead.activities.get()
    assert activity.campaign == campaign  # the form it was sent through
    assert activity.details["utm"] == TAGS
    first, latest = touches(lead)["first"], touches(lead)["latest"]
    assert first.campaign == latest.campaign == autumn
    assert (first.source, first.medium, first.utm_campaign) == ("newsletter", "email", "AUTUMN-DX")
    assert first.kind == Activity.Kind.FORM_SUBMIT and first.activity == activity


def test_an_untagged_submit_is_a_touch_of_the_forms_campaign(client, campaign):
    client.post(url(campaign), {"email": "u@example.jp", "family_name": "U"})
    lead = Lead.objects.get()
    assert lead.source_campaign == campaign
    assert touches(lead)["first"].campaign == campaign
    assert touches(lead)["first"].source == ""
    assert "utm" not in lead.activities.get().details


def test_utm_comes_from_the_address_posted_to_or_the_pages_referer(client, campaign, autumn):
    client.post(
        url(campaign, "?utm_source=ads&utm_campaign=autumn-dx"),
        {"email": "q@example.jp", "family_name": "Q"},
    )
    client.post(
        url(campaign),
        {"email": "r@example.jp", "family_name": "R"},
        HTTP_REFERER="https://aoba.example.jp/lp?utm_source=x&utm_medium=social&utm_campaign=autumn-dx",
    )
    assert touches(Lead.objects.get(email="q@example.jp"))["first"].source == "ads"
    referred = touches(Lead.objects.get(email="r@example.jp"))["first"]
    assert (referred.source, referred.medium, referred.campaign) == ("x", "social", autumn)


def test_json_clients_send_utm_as_fields(client, campaign, autumn):
    body = {"email": "j@example.jp", "family_name": "J", **TAGS, "utm_term": "crm"}
    response = client.post(url(campaign), json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    assert touches(Lead.objects.get())["latest"].term == "crm"


def test_the_latest_touch_moves_and_the_first_stays(client, campaign, autumn, time_machine):
    time_machine.move_to(timezone.now())
    client.post(url(campaign), {"email": "t@example.jp", "family_name": "T", **TAGS})
    time_machine.shift(timedelta(days=3))
    client.post(
        url(campaign),
        {"email": "t@example.jp", "family_name": "T", "utm_source": "google", "utm_medium": "cpc"},
    )
    lead = Lead.objects.get()
    assert touches(lead)["first"].campaign == autumn
    latest = touches(lead)["latest"]
    assert (latest.source, latest.campaign) == ("google", campaign)  # no utm_campaign: the form's
    assert lead.source_campaign == autumn


def test_utm_values_are_tidied_never_refused(client, campaign):
    response = client.post(
        url(campaign),
        {"email": "n@example.jp", "family_name": "N", "utm_source": "a\x00b" + "x" * 500},
    )
    assert response.status_code == 200
    assert touches(Lead.objects.get())["first"].source == "ab" + "x" * 198


def test_the_hosted_form_carries_its_pages_utm(client, campaign, autumn):
    page = client.get(url(campaign, "?utm_source=qr&utm_campaign=autumn-dx&other=1"))
    html = page.content.decode()
    assert 'name="utm_source" value="qr"' in html
    assert 'name="utm_campaign" value="autumn-dx"' in html
    assert 'name="utm_medium"' not in html


def test_tagged_page_views_are_attributed_and_can_be_an_earlier_first_touch(
    client, campaign, autumn, django_capture_on_commit_callbacks, in_process_tasks
):
    visitor = "v" * 24
    client.post(
        "/nurture/collect/",
        json.dumps(
            {"v": visitor, "u": "https://aoba.example.jp/?utm_source=fb&utm_campaign=Autumn-DX"}
        ),
        content_type="text/plain",
    )
    PageView.objects.update(occurred_at=timezone.now() - timedelta(days=2))
    client.post(url(campaign), {"email": "p@example.jp", "family_name": "P", "visitor_id": visitor})
    with django_capture_on_commit_callbacks(execute=True):
        assert visits.join_visits() == 1
    lead = Lead.objects.get()
    view = lead.activities.get(kind=Activity.Kind.PAGE_VIEW)
    assert view.campaign == autumn
    assert view.details["utm"] == {"utm_source": "fb", "utm_campaign": "Autumn-DX"}
    first, latest = touches(lead)["first"], touches(lead)["latest"]
    assert (first.kind, first.campaign, first.source) == (Activity.Kind.PAGE_VIEW, autumn, "fb")
    assert (latest.kind, latest.campaign) == (Activity.Kind.FORM_SUBMIT, campaign)


def test_untagged_page_views_are_no_touch(client, campaign):
    lead = Lead.objects.create(email="x@example.jp", family_name="X")
    visits.identify("w" * 24, lead.pk)
    client.post(
        "/nurture/collect/",
        json.dumps({"v": "w" * 24, "u": "https://aoba.example.jp/blog"}),
        content_type="text/plain",
    )
    visits.join_visits()
    assert not Touch.objects.exists()
    assert lead.activities.get().campaign is None


def test_touches_keep_order_whatever_the_order_of_arrival(campaign):
    lead = Lead.objects.create(email="o@example.jp", family_name="O")
    now = timezone.now()
    made = [
        attribution.TouchData(lead.pk, now - timedelta(days=d), "page_view", Utm(source=str(d)))
        for d in (2, 5, 1, 9, 3)
    ]
    for touch in made:
        attribution.record_touches([touch])
    assert touches(lead)["first"].source == "9"
    assert touches(lead)["latest"].source == "1"


def test_the_lead_page_shows_first_and_latest_touch(client_as, marketer, campaign, autumn):
    client = client_as(marketer)
    client.post(url(campaign), {"email": "l@example.jp", "family_name": "L", **TAGS})
    page = client.get(Lead.objects.get().get_absolute_url()).content.decode()
    assert 'data-testid="first-touch"' in page
    assert "Autumn DX" in page and "newsletter / email" in page


def test_the_campaign_page_counts_the_leads_it_touched_first(client_as, marketer, campaign, autumn):
    client = client_as(marketer)
    client.post(url(campaign), {"email": "c@example.jp", "family_name": "C", **TAGS})
    page = client.get(autumn.get_absolute_url()).content.decode()
    assert "First touch of 1 lead" in page


# --- Tagged links ------------------------------------------------------------


def test_the_campaign_page_builds_a_tagged_link(client_as, marketer, autumn):
    params = {
        "base_url": "https://aoba.example.jp/seminar?ref=top&utm_source=old#form",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_content": "header button",
    }
    page = client_as(marketer).get(autumn.get_absolute_url(), params)
    link = page.context["link"]
    parts = urlsplit(link)
    assert (parts.netloc, parts.path, parts.fragment) == ("aoba.example.jp", "/seminar", "form")
    assert parse_qsl(parts.query) == [
        ("ref", "top"),
        ("utm_source", "newsletter"),
        ("utm_medium", "email"),
        ("utm_campaign", "autumn-dx"),
        ("utm_content", "header button"),
    ]
    assert 'data-testid="copy-tagged-link"' in page.content.decode()


def test_htmx_gets_only_the_link(client_as, marketer, autumn):
    params = {"base_url": "aoba.example.jp", "utm_source": "x", "utm_medium": "y"}
    response = client_as(marketer).get(autumn.get_absolute_url(), params, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith('<div id="tagged-link"')
    assert (
        "https://aoba.example.jp/?utm_source=x&amp;utm_medium=y&amp;utm_campaign=autumn-dx" in html
    )


def test_a_bad_address_gets_a_sentence(client_as, marketer, autumn):
    params = {"base_url": "javascript:alert(1)", "utm_source": "x", "utm_medium": "y"}
    response = client_as(marketer).get(autumn.get_absolute_url(), params, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Enter the address of a web page" in html
    assert 'data-testid="tagged-link"' not in html  # no link to copy


def test_the_builder_starts_from_the_campaigns_website(client_as, marketer, autumn):
    autumn.allowed_hosts = "www.aoba.example.jp\naoba.example.jp"
    autumn.save()
    page = client_as(marketer).get(autumn.get_absolute_url()).content.decode()
    assert 'value="https://www.aoba.example.jp/"' in page
