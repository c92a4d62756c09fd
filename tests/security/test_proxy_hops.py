"""Behind reverse proxies: the client is the right-most address no proxy of
ours vouches beyond, for the login lockout, the rate limits and the audit
trail alike (web/client.py).

Each attack below got through when the first X-Forwarded-For entry was
trusted: the client writes that one itself.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from audit.models import Action, AuditEntry
from crm.models import Lead
from web.client import client_ip

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # our load balancer: every request reaches Baton from it
VICTIM = "198.51.100.20"
ATTACKER = "203.0.113.66"


@pytest.fixture(autouse=True)
def one_proxy(settings):
    settings.BATON_TRUSTED_PROXY_HOPS = 1


def through_proxy(client_says: str | None, actual: str) -> dict[str, str]:
    """What the proxy passes on: whatever X-Forwarded-For the client sent,
    with the address it really came from appended."""
    forwarded = f"{client_says}, {actual}" if client_says else actual
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def login(client, password: str, **meta: str) -> int:
    data = {"username": "rep", "password": password}
    return client.post(reverse("login"), data, **meta).status_code


def test_naming_the_victims_address_does_not_lock_the_victim_out(client, rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "wrong", **through_proxy(VICTIM, ATTACKER))
    assert login(client, "wrong", **through_proxy(VICTIM, ATTACKER)) == 429  # the attacker is
    client.cookies.clear()
    assert login(client, "pw", **through_proxy(None, VICTIM)) == 302


def test_rotating_forged_addresses_does_not_escape_the_lockout(client, rep, settings):
    statuses = [
        login(client, f"guess{n}", **through_proxy(f"192.0.2.{n}", ATTACKER)) for n in range(12)
    ]
    assert statuses.count(200) == settings.AXES_FAILURE_LIMIT - 1  # the form again, then locked
    assert statuses[-1] == 429
    assert login(client, "pw", **through_proxy("192.0.2.200", ATTACKER)) == 429


def test_rotating_forged_addresses_does_not_escape_the_capture_limit(client, campaign, settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 3
    url = reverse("capture", args=[campaign.capture_key])
    statuses = [
        client.post(
            url,
            {"email": f"flood{n}@example.jp", "family_name": "F"},
            **through_proxy(f"192.0.2.{n}", ATTACKER),
        ).status_code
        for n in range(30)
    ]
    assert statuses.count(200) == 3
    assert Lead.objects.count() == 3


def test_the_audit_trail_records_the_address_the_proxy_saw(client, rep):
    login(client, "wrong", **through_proxy(VICTIM, ATTACKER))
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.ip_address == ATTACKER


@pytest.mark.parametrize(
    ("hops", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": VICTIM}, ATTACKER),
        (1, {"REMOTE_ADDR": PROXY}, PROXY),  # no header: the peer
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{VICTIM},{ATTACKER}"}, ATTACKER),
        # Two proxies: the outer one appended the client, the inner one the outer.
        (
            2,
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{VICTIM}, {ATTACKER}, 10.0.0.1"},
            ATTACKER,
        ),
        # Fewer entries than hops: the request skipped the outer proxy.
        (2, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ATTACKER}, ATTACKER),
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
        # Not an address (a misconfigured proxy): the peer, never the text.
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "unknown"}, PROXY),
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": " , "}, PROXY),
    ],
)
def test_client_ip(settings, hops, meta, expected):
    settings.BATON_TRUSTED_PROXY_HOPS = hops
    assert client_ip(RequestFactory().get("/", **meta)) == expected
