"""Webhook tests: fake DNS, a fake receiving end, retries as a worker schedules them.

No network: DNS answers come from `dns`, and the connection post_message opens
is a FakeReceiver, as in the chat webhook's tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from crm.models import OutboxEvent
from crm.topics import Topic
from tests.conftest import scheduled_retries
from tests.fake_dns import resolve_from
from webhooks import events, sender, services, tasks
from webhooks.models import Delivery, Endpoint, EventType

PUBLIC_IP = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/baton"


@pytest.fixture(autouse=True)
def fresh_subscriptions() -> Iterator[None]:
    """Each test starts and ends without cached subscriptions (the database is
    rolled back under a cache that would remember its endpoints)."""
    cache.delete(events.SUBSCRIPTIONS_KEY)
    yield
    cache.delete(events.SUBSCRIPTIONS_KEY)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses; literal IPs resolve to themselves, other names fail."""
    answers: dict[str, list[str]] = {
        "hooks.example.com": [PUBLIC_IP],
        "localhost": ["127.0.0.1", "::1"],
        "rebind.example.com": ["10.0.0.8"],
    }

    resolve_from(monkeypatch, answers)
    return answers


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status

    def read(self, amt: int | None = None, /) -> bytes:
        return b"ok"


class FakeReceiver:
    """Stands in for the connection post_message opens; answers with `status`
    (or the next of `statuses`)."""

    def __init__(self) -> None:
        self.status = 200
        self.statuses: list[int] = []
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []

    def __call__(self, target: sender.WebhookTarget, timeout: float) -> FakeReceiver:
        self.target = target
        return self

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.requests.append((self.target.ip, url, body, dict(headers)))

    def getresponse(self) -> FakeResponse:
        return FakeResponse(self.statuses.pop(0) if self.statuses else self.status)

    def close(self) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch, dns: dict[str, list[str]]) -> FakeReceiver:
    fake = FakeReceiver()
    monkeypatch.setattr(sender, "post_message", partial(sender.post_message, connect=fake))
    return fake


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The retries the delivery task schedules (as a worker would, not eagerly)."""
    return scheduled_retries(monkeypatch, tasks.deliver_webhook_event)


def make_endpoint(
    by: User | None = None, *, url: str = HOOK_URL, event_types: list[str] | None = None
) -> Endpoint:
    """An endpoint as the page creates it (its URL is not checked here)."""
    return services.create_endpoint(
        name="CRM sync",
        url=url,
        event_types=event_types if event_types is not None else list(EventType.values),
        by=by,
    )


def delivery_events(endpoint: Endpoint | None = None) -> list[OutboxEvent]:
    """The outbox events that carry deliveries (to `endpoint`), oldest first."""
    found = OutboxEvent.objects.filter(topic=Topic.WEBHOOK_DELIVERY).order_by("pk")
    if endpoint is None:
        return list(found)
    ids = set(Delivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True))
    return [event for event in found if event.payload["delivery_id"] in ids]
