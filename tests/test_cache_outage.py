"""The shared cache (Redis) is away: every request is still answered.

The rate limits (capture, page views), the API's throttles and the webhook
subscriptions read on a claim keep their data in the shared cache. With it
unreachable they fall back to this process's memory: requests are accepted
and answered, a limit still holds per process, one log line says so, and
/readyz reports it. (tests/faults/test_redis_outage_served.py stops the Redis
of a served stack under load.)
"""

from __future__ import annotations

import json
import logging

import pytest
import redis
from django.core.cache import caches
from django.urls import reverse

from crm.models import Activity, Lead
from handoff.models import Handoff
from nurture.models import PageView
from tests import factories
from tests.conftest import redis_cache
from web import shared_cache

pytestmark = pytest.mark.django_db


def capture(client, campaign, n: int) -> int:
    url = reverse("capture", args=[campaign.capture_key])
    return client.post(url, {"email": f"away{n}@example.jp", "family_name": "R"}).status_code


def test_redis_away_breaks_a_plain_redis_cache_call(unreachable_cache):
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import ConnectionError as RedisConnectionError

    with pytest.raises(RedisConnectionError):  # what turned every capture into a 500
        RedisCache.get(caches["default"], "anything")


def test_every_user_of_the_cache_is_answered_from_memory_while_redis_is_away(
    unreachable_cache,
):
    # Libraries too: django-allauth keeps used one-time codes in the cache.
    cache = caches["default"]
    assert cache.add("code", 1, 60) is True
    assert cache.add("code", 1, 60) is False
    assert cache.get("code") == 1 and cache.incr("code") == 2
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    cache.delete("a")
    assert not cache.has_key("a")
    assert shared_cache.down_since() is not None
    assert not shared_cache.reachable()


def test_a_second_factor_login_works_and_refuses_a_reused_code_while_redis_is_away(
    client, manager, unreachable_cache
):
    from tests.accounts.helpers import enable_totp, totp_code

    code = totp_code(enable_totp(manager))
    login = {"username": manager.username, "password": "pw"}
    for expected in (302, 200):  # logged in; then the same code is refused (the form again)
        client.logout()
        client.post(reverse("login"), login)
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code == expected
    assert "_auth_user_id" not in client.session


def test_captures_are_accepted_and_limited_per_process_while_the_cache_is_away(
    client, campaign, unreachable_cache, settings, caplog
):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="web.shared_cache"):
        statuses = [capture(client, campaign, n) for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert Lead.objects.count() == 3
    assert shared_cache.down_since() is not None
    warnings = [r.getMessage() for r in caplog.records if r.name == "web.shared_cache"]
    assert len(warnings) == 1 and "shared cache unreachable" in warnings[0], warnings


def test_page_views_are_collected_while_the_cache_is_away(client, unreachable_cache, settings):
    settings.NURTURE_COLLECT_PER_IP_PER_MINUTE = 2
    body = json.dumps({"v": "v" * 24, "u": "https://aoba.example.jp/pricing", "t": "料金"})
    statuses = [
        client.post("/nurture/collect/", body, content_type="text/plain").status_code
        for _ in range(3)
    ]
    assert statuses == [204, 204, 429]
    assert PageView.objects.count() == 2


def test_a_claim_is_answered_while_the_cache_is_away(client_as, rep, unreachable_cache):
    # The claim emits handoff.claimed, which reads the cached webhook subscriptions.
    handoff = factories.qualified_handoff()
    response = client_as(rep).post(reverse("handoff:claim", args=[handoff.pk]))
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED


def test_readyz_names_the_per_process_limits_while_the_cache_is_away(client, unreachable_cache):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200  # still serving: the database and broker answer
    body = response.json()
    assert body["checks"]["cache"] is False
    assert "per process" in body["degraded"]["rate_limits"]


def test_after_a_failure_the_cache_is_left_alone_for_a_moment(client, campaign, unreachable_cache):
    assert capture(client, campaign, 1) == 200
    calls: list[str] = []
    shared_cache.call(lambda cache: calls.append("shared"), lambda cache: calls.append("local"))
    assert calls == ["local"]  # no second failed connection within RETRY_SECONDS
    assert Activity.objects.count() == 1


@pytest.mark.services
def test_the_limits_count_in_redis_again_once_it_is_back(
    client, campaign, private_redis, settings, monkeypatch, caplog
):
    monkeypatch.setattr(shared_cache, "RETRY_SECONDS", 0)
    with redis_cache(settings, private_redis.url.replace("/0", "/1")):
        came_back(client, campaign, private_redis, caplog)


def came_back(client, campaign, private_redis, caplog) -> None:
    private_redis.stop()
    assert capture(client, campaign, 1) == 200
    assert shared_cache.down_since() is not None
    private_redis.start()
    with caplog.at_level(logging.WARNING, logger="web.shared_cache"):
        assert capture(client, campaign, 2) == 200
    assert shared_cache.down_since() is None
    assert "reachable again" in caplog.text
    server = redis.Redis.from_url(private_redis.url.replace("/0", "/1"))
    assert server.keys(":1:rl:capture-ip:*")  # counted there again
