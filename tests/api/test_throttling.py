"""Too many requests answer 429 with Retry-After."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    # DRF reads the rates once, into the throttle class: patch them there.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/minute")


def test_a_user_over_the_rate_gets_429(api_as, marketer, low_rates):
    client = api_as(marketer)
    statuses = [client.get("/api/v1/campaigns/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/campaigns/")
    assert int(response["Retry-After"]) > 0


def test_api_writes_are_accepted_and_throttled_per_process_while_the_cache_is_away(
    api_as, marketer, campaign, low_rates, unreachable_cache
):
    from crm.models import Activity
    from tests import factories

    lead = factories.lead(email="away@example.jp")
    client = api_as(marketer)
    statuses = [
        client.post(
            "/api/v1/activities/", {"lead": lead.pk, "kind": "page_view"}, format="json"
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert Activity.objects.filter(lead=lead).count() == 3


def test_throttles_tell_clients_apart_by_the_address_behind_the_proxies(settings):
    # DRF's own get_ident returns the whole X-Forwarded-For unless NUM_PROXIES
    # is set: a client naming a new address each time had a new allowance.
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api.throttling import AnonRateThrottle, UserRateThrottle

    settings.BATON_TRUSTED_PROXY_HOPS = 1
    idents = {
        throttle().get_ident(
            Request(
                APIRequestFactory().get(
                    "/api/v1/campaigns/",
                    REMOTE_ADDR="10.0.0.2",  # the proxy
                    HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9",
                )
            )
        )
        for n in range(3)
        for throttle in (AnonRateThrottle, UserRateThrottle)
    }
    assert idents == {"203.0.113.9"}
