"""The drain flag beside the queue in Redis (crm/drain.py), on a Redis of the
test's own: asked for once, woken while it holds the flag, asked for again
once it stops; failing fast when Redis is down."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from config.celery import app as celery_app
from crm import drain
from tests.conftest import use_broker

TOPIC = "activity.recorded"

pytestmark = pytest.mark.services


@pytest.fixture
def queued(private_redis) -> Iterator[redis.Redis]:
    """Tasks published to the private Redis (also where the tests otherwise
    run them in process); yields a client of it."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with use_broker(private_redis.url):
            yield redis.Redis.from_url(private_redis.url)
    finally:
        celery_app.conf.task_always_eager = previous


def published(client: redis.Redis) -> int:
    return int(client.llen(celery_app.conf.task_default_queue))


def test_a_drain_is_asked_for_once_and_woken_while_it_holds_the_flag(queued):
    assert drain.request(TOPIC)
    assert drain.request(TOPIC)
    assert drain.request(TOPIC)
    assert published(queued) == 1  # the others woke it
    assert drain.wait(TOPIC, seconds=1) is True
    assert drain.wait(TOPIC, seconds=0.1) is False  # one look took every push
    assert drain.stop(TOPIC) is True
    assert drain.request(TOPIC)
    assert published(queued) == 2  # the flag was down: a new drain


def test_the_flag_expires_so_a_lost_drain_is_asked_for_again(queued):
    assert drain.request(TOPIC)
    (key,) = queued.keys("baton:outbox:drain:*[^e]")
    assert 0 < queued.ttl(key) <= drain.FLAG_SECONDS
    queued.delete(key)  # as if it had expired with its worker
    assert drain.request(TOPIC)
    assert published(queued) == 2


def test_a_drain_past_its_time_hands_over_with_the_flag_up(queued):
    assert drain.request(TOPIC)
    drain.hand_over(TOPIC)
    assert published(queued) == 2
    assert drain.request(TOPIC)  # wakes the new one
    assert published(queued) == 2


def test_a_waiting_drain_wakes_at_once_when_an_event_asks(queued):
    assert drain.request(TOPIC)
    started = time.monotonic()
    assert drain.wait(TOPIC, seconds=0.2) is False
    assert 0.15 < time.monotonic() - started < 1
    assert drain.request(TOPIC)
    started = time.monotonic()
    assert drain.wait(TOPIC, seconds=5) is True
    assert time.monotonic() - started < 0.5


def test_with_redis_down_asking_fails_fast_and_nothing_raises(private_redis, queued):
    private_redis.stop()
    started = time.monotonic()
    assert drain.request(TOPIC) is False
    assert drain.wait(TOPIC, seconds=1) is False
    drain.stop(TOPIC)
    drain.hand_over(TOPIC)
    assert time.monotonic() - started < 5


def test_in_process_there_is_no_flag_and_no_waiting(settings):
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        assert drain.wait(TOPIC, seconds=5) is False
        assert drain.stop(TOPIC) is False
    finally:
        celery_app.conf.task_always_eager = previous
