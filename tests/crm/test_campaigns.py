"""The campaign form speaks the reader's language, and a campaign's capture
form sends visitors back to its website, only to hosts it allows."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crm.models import Campaign, Lead

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Autumn DX",
    "channel": "seminar",
    "budget": "500000",
    "actual_cost": "0",
    "utm_code": "autumn-dx",
}


def create(client, language="en", **fields):
    return client.post(
        reverse("crm:campaign_create"), {**VALID, **fields}, HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "The budget cannot be negative."), ("ja", "予算にマイナスの金額は入力できません。")],
)
def test_a_negative_budget_is_a_sentence_not_a_constraint_name(
    client_as, marketer, language, sentence
):
    response = create(client_as(marketer), language, budget="-1")
    html = response.content.decode()
    assert response.status_code == 200 and sentence in html
    assert "campaign_money_not_negative" not in html and "制約" not in html
    assert not Campaign.objects.exists()


def test_a_negative_actual_cost_is_a_sentence_too(client_as, marketer):
    html = create(client_as(marketer), actual_cost="-5").content.decode()
    assert "The actual cost cannot be negative." in html


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_utm_code_error_does_not_say_slug(client_as, marketer, language):
    html = create(client_as(marketer), language, utm_code="autumn dx!").content.decode()
    assert "slug" not in html.lower() and "スラグ" not in html
    expected = (
        "Use only letters, digits, hyphens and underscores"
        if language == "en"
        else "半角英数字・ハイフン・アンダースコアだけを使い"
    )
    assert expected in html


def test_a_utm_code_in_use_is_named_as_such(client_as, marketer, campaign):
    html = create(client_as(marketer), utm_code=campaign.utm_code).content.decode()
    assert "Another campaign already uses this UTM code." in html


def test_the_constraints_speak_sentences_where_no_form_checks_first():
    # Model validation (the admin, any ModelForm) uses the constraint's message.
    from django.core.exceptions import ValidationError

    campaign = Campaign(name="x", channel="web", utm_code="x", budget=-1, owner_id=1)
    with pytest.raises(ValidationError) as caught:
        campaign.validate_constraints()
    assert caught.value.messages == ["The budget and the actual cost cannot be negative."]


# --- Allowed hosts and the redirect ------------------------------------------


def test_hosts_are_tidied_and_a_redirect_on_them_is_saved(client_as, marketer):
    response = create(
        client_as(marketer),
        allowed_hosts="https://WWW.Aoba.example.jp/contact, aoba.example.jp\nlocalhost:8080",
        redirect_url="https://www.aoba.example.jp/thanks",
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.allowed_host_list() == [
        "www.aoba.example.jp",
        "aoba.example.jp",
        "localhost:8080",
    ]
    assert campaign.redirect_url == "https://www.aoba.example.jp/thanks"


@pytest.mark.parametrize(
    ("hosts", "redirect_url", "message"),
    [
        (
            "",
            "https://aoba.example.jp/thanks",
            "Add the website&#x27;s host to the allowed hosts first.",
        ),
        ("aoba.example.jp", "https://evil.example.com/", "must be on one of the allowed hosts"),
        ("aoba.example.jp", "javascript:alert(1)", "Enter a valid URL."),
        ("aoba example!", "", "is not a host name"),
    ],
)
def test_a_redirect_elsewhere_is_refused(client_as, marketer, hosts, redirect_url, message):
    response = create(client_as(marketer), allowed_hosts=hosts, redirect_url=redirect_url)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.fixture
def with_site(campaign):
    campaign.allowed_hosts = "aoba.example.jp\nwww.aoba.example.jp"
    campaign.redirect_url = "https://aoba.example.jp/thanks"
    campaign.save()
    return campaign


def capture(client, campaign, **fields):
    url = reverse("capture", args=[campaign.capture_key])
    return client.post(url, {"email": "v@example.jp", "family_name": "V", **fields})


def test_a_submit_sends_the_visitor_back_to_the_site(client, with_site):
    response = capture(client, with_site)
    assert response.status_code == 303
    assert response["Location"] == "https://aoba.example.jp/thanks"
    assert Lead.objects.count() == 1


def test_a_posted_redirect_on_an_allowed_host_wins(client, with_site):
    response = capture(client, with_site, redirect="https://www.aoba.example.jp/seminar?x=1")
    assert response["Location"] == "https://www.aoba.example.jp/seminar?x=1"


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/crm/leads/",
        "https://aoba.example.jp@evil.example.com/",
        "javascript:alert(1)",
    ],
)
def test_a_posted_redirect_elsewhere_is_ignored(client, with_site, redirect):
    response = capture(client, with_site, redirect=redirect)
    assert response["Location"] == "https://aoba.example.jp/thanks"


def test_without_a_redirect_the_thank_you_page_shows(client, campaign):
    response = capture(client, campaign, redirect="https://aoba.example.jp/")
    assert response.status_code == 200
    assert 'data-testid="capture-thanks"' in response.content.decode()


def test_json_clients_get_202_not_a_redirect(client, with_site):
    url = reverse("capture", args=[with_site.capture_key])
    body = json.dumps({"email": "j@example.jp", "family_name": "J"})
    assert client.post(url, body, content_type="application/json").status_code == 202


def test_bots_are_sent_back_too(client, with_site):
    response = capture(client, with_site, website="http://spam")
    assert response.status_code == 303 and not Lead.objects.exists()


def test_the_hosted_form_may_redirect_to_the_allowed_hosts(client, with_site):
    response = client.get(reverse("capture", args=[with_site.capture_key]))
    policy = response["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", "aoba.example.jp", "www.aoba.example.jp"]


def test_the_hosted_form_carries_an_allowed_redirect_only(client, with_site):
    url = reverse("capture", args=[with_site.capture_key])
    html = client.get(url, {"redirect": "https://www.aoba.example.jp/x"}).content.decode()
    assert 'name="redirect" value="https://www.aoba.example.jp/x"' in html
    html = client.get(url, {"redirect": "https://evil.example.com/"}).content.decode()
    assert 'name="redirect"' not in html


def test_the_campaign_page_says_where_visitors_go(client_as, marketer, with_site):
    page = client_as(marketer).get(with_site.get_absolute_url()).content.decode()
    assert "visitors go to https://aoba.example.jp/thanks" in page
    assert 'data-copy="#capture-snippet"' in page and "baton-copy.js" in page
    assert "baton-capture.js" in page  # the snippet's attribution script
