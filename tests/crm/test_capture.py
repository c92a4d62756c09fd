"""The public capture endpoint: form posts and JSON, honeypot, updates not duplicates."""

import json
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from crm.models import Activity, Consent, Lead, StageChange
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db


def capture_url(campaign):
    return reverse("capture", args=[campaign.capture_key])


def test_form_submit_creates_lead_and_activity(client, campaign):
    response = client.post(
        capture_url(campaign),
        {
            "email": "Yamada@Example.JP",
            "family_name": "山田",
            "given_name": "太郎",
            "company": "青葉商事",
        },
    )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    lead = Lead.objects.get()
    assert lead.email == "yamada@example.jp"
    assert lead.company.name == "青葉商事"
    assert lead.source_campaign == campaign
    assert lead.activities.get().kind == Activity.Kind.FORM_SUBMIT
    assert StageChange.objects.filter(lead=lead, to_stage=Lead.Stage.LEAD).count() == 1


def test_second_submit_updates_instead_of_duplicating(client, campaign):
    client.post(capture_url(campaign), {"email": "a@example.jp", "family_name": "山田"})
    client.post(
        capture_url(campaign), {"email": "A@EXAMPLE.JP", "family_name": "山田", "title": "部長"}
    )
    lead = Lead.objects.get()
    assert lead.title == "部長"
    assert lead.activities.count() == 2


def test_json_submit_is_accepted(client, campaign):
    response = client.post(
        capture_url(campaign),
        data=json.dumps({"email": "j@example.jp", "family_name": "Tanaka"}),
        content_type="application/json",
    )
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    assert Lead.objects.filter(email="j@example.jp").exists()


def test_invalid_json_submit_names_each_field(client, campaign):
    response = client.post(
        capture_url(campaign),
        data=json.dumps({"email": "not-an-email"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"email", "family_name"}
    assert not Lead.objects.exists()


def test_malformed_json_is_refused_clearly(client, campaign):
    response = client.post(capture_url(campaign), data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["errors"]["__all__"][0]


def test_invalid_form_submit_shows_the_form_again(client, campaign):
    response = client.post(capture_url(campaign), {"email": "", "family_name": ""})
    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_honeypot_submit_pretends_success_and_stores_nothing(client, campaign):
    response = client.post(
        capture_url(campaign),
        {"email": "bot@example.jp", "family_name": "Bot", "website": "http://spam"},
    )
    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_oversized_submit_is_refused(client, campaign):
    response = client.post(
        capture_url(campaign),
        data=json.dumps({"email": "big@example.jp", "family_name": "x", "message": "x" * 20_000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert not Lead.objects.exists()


def test_unknown_capture_key_is_404(client, db):
    assert client.post(reverse("capture", args=["nope"]), {"email": "a@b.jp"}).status_code == 404


def test_user_text_is_escaped_on_the_lead_page(client_as, campaign, marketer):
    script = "<script>alert(1)</script>"
    client_as(marketer).post(
        capture_url(campaign), {"email": "x@example.jp", "family_name": script, "message": script}
    )
    page = client_as(marketer).get(Lead.objects.get().get_absolute_url()).content.decode()
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hosted_form_is_served(client, campaign):
    response = client.get(capture_url(campaign))
    assert response.status_code == 200
    assert campaign.name in response.content.decode()


def test_consent_is_recorded_with_its_evidence(client, campaign):
    client.post(
        capture_url(campaign),
        {"email": "c@example.jp", "family_name": "同意", "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="203.0.113.7",
    )
    consent = Consent.objects.get()
    assert consent.basis == Consent.Basis.CONSENT
    assert consent.policy_version == "2026-01"
    assert consent.ip_address == "203.0.113.7"
    assert consent.user_agent == "Mozilla/5.0 test"
    assert consent.source == "capture:spring"


def test_no_consent_box_no_consent_row(client, campaign):
    client.post(capture_url(campaign), {"email": "n@example.jp", "family_name": "無"})
    assert not Consent.objects.exists()


def test_json_consent_must_be_true_to_count(client, campaign):
    for email, consent in [("t@example.jp", True), ("s@example.jp", "yes")]:
        client.post(
            capture_url(campaign),
            data=json.dumps({"email": email, "family_name": "J", "consent": consent}),
            content_type="application/json",
        )
    assert list(Consent.objects.values_list("lead__email", flat=True)) == ["t@example.jp"]


@pytest.fixture(params=["locmem", "redis"])
def limit_cache(request, settings):
    """The rate limits count in Django's cache: in process (the embedded
    default) and on Redis (production), where one Lua script counts them."""
    if request.param == "redis":
        if not django_settings.CELERY_BROKER_URL:
            skip_or_fail("CELERY_BROKER_URL is not set")
        # Redis database 12 of the broker's server: clearing this cache (each
        # test does) must not empty the broker's queues.
        server = django_settings.CELERY_BROKER_URL.rsplit("/", 1)[0]
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"{server}/12",
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
        assert isinstance(caches["default"], RedisCache)
    return request.param


def test_too_many_submits_from_one_ip_get_429_with_retry_after(
    client, campaign, limit_cache, settings
):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 3
    url = capture_url(campaign)
    statuses = [
        client.post(url, {"email": f"r{i}@example.jp", "family_name": "R"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = client.post(
        url, data=json.dumps({"email": "x@example.jp"}), content_type="application/json"
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many" in response.json()["errors"]["__all__"][0]
    assert Lead.objects.count() == 3


def test_limit_per_key_holds_across_addresses(client, campaign, limit_cache, settings):
    settings.BATON_CAPTURE_PER_KEY_PER_MINUTE = 2
    url = capture_url(campaign)
    statuses = [
        client.post(
            url, {"email": f"k{i}@example.jp", "family_name": "K"}, REMOTE_ADDR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_a_flood_from_one_address_leaves_the_key_to_others(client, campaign, limit_cache, settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 2
    settings.BATON_CAPTURE_PER_KEY_PER_MINUTE = 5
    url = capture_url(campaign)
    flood = [
        client.post(
            url, {"email": f"f{i}@example.jp", "family_name": "F"}, REMOTE_ADDR="203.0.113.9"
        ).status_code
        for i in range(10)
    ]
    assert flood.count(200) == 2
    others = [
        client.post(
            url, {"email": f"o{i}@example.jp", "family_name": "O"}, REMOTE_ADDR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert others == [200, 200, 200]


def test_lead_page_shows_answers_consents_and_reading(client_as, campaign, marketer):
    from crm.models import Answer

    client_as(marketer)
    client = client_as(marketer)
    client.post(
        capture_url(campaign), {"email": "k@example.jp", "family_name": "加藤", "consent": "on"}
    )
    lead = Lead.objects.get()
    Lead.objects.filter(pk=lead.pk).update(family_name_kana="カトウ")
    Answer.objects.create(
        lead=lead, question="budget", answer="年間300万円", source="web_form", recorded_by=marketer
    )
    page = client.get(lead.get_absolute_url()).content.decode()
    assert "年間300万円" in page and 'data-testid="answers"' in page
    assert 'data-testid="consents"' in page and "policy 2026-01" in page


def test_campaign_page_shows_cost_per_lead(client_as, campaign, marketer):
    from decimal import Decimal

    campaign.actual_cost = Decimal(300_000)
    campaign.save(update_fields=["actual_cost"])
    for n in range(3):
        client_as(marketer).post(
            capture_url(campaign), {"email": f"c{n}@example.jp", "family_name": "C"}
        )
    page = client_as(marketer).get(campaign.get_absolute_url()).content.decode()
    assert "¥100,000 per lead" in page


def test_lead_page_explains_its_scores(client_as, campaign, marketer):
    client = client_as(marketer)
    for _ in range(2):
        client.post(
            capture_url(campaign),
            {"email": "e@example.jp", "family_name": "説明", "title": "営業部長"},
        )
    lead = Lead.objects.get()
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="score-explanation"' in page
    assert "Decision maker by title" in page  # the fit rule the title matched
    assert "Form submitted" in page and "half-life 30 days" in page
