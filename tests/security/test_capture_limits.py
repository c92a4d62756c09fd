"""The public capture endpoint's rate limits, from an attacker's side (the
limits themselves are tested in tests/crm/test_capture.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Lead

pytestmark = pytest.mark.django_db


def submit(client, campaign, n: int, **headers: str) -> int:
    url = reverse("capture", args=[campaign.capture_key])
    data = {"email": f"flood{n}@example.jp", "family_name": "F"}
    return client.post(url, data, REMOTE_ADDR="203.0.113.9", **headers).status_code


def test_a_forged_forwarded_for_does_not_escape_the_limit(client, campaign, settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 3
    settings.BATON_TRUSTED_PROXY_HOPS = 0
    statuses = [
        submit(client, campaign, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert Lead.objects.count() == 3


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, campaign, settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 1
    settings.BATON_TRUSTED_PROXY_HOPS = 1
    statuses = [
        submit(client, campaign, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(3)
    ]
    assert statuses == [200, 200, 200]
