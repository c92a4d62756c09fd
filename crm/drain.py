"""Draining a busy outbox topic: one task takes the events as they come.

Topics in BATON_OUTBOX_DRAINED (one event per activity, a hundred a second)
are not published event by event. A flag beside the queue in Redis says that
a drain is queued or running and will look at the outbox again before it
stops; while it is up, a new event only wakes that drain (a push on a list it
waits on) instead of publishing a task. So under load one task takes the
events as they come, in batches, and a request pays one Redis round trip.

The drain (handoff.consumers.drain_activity_events) keeps the flag up while it
works and while it lingers for more; before it stops it lowers the flag and
looks once more, so an event committed before the flag came down is never
left behind. The flag expires on its own (FLAG_SECONDS, renewed while the
drain lives): a drain killed with its worker is asked for again by the next
event or the outbox sweep.

With tasks in-process (the embedded default) there is no flag: every event
runs its drain at once, and nothing lingers.
"""

from __future__ import annotations

import logging
from contextlib import suppress

import redis
from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long the flag holds without a drain renewing it.
FLAG_SECONDS = 10

# Raise the flag, or wake the drain that holds it: one round trip.
# KEYS: the flag, the wake list; ARGV: seconds both live. Returns 1 when the
# flag was raised here (the caller publishes a drain), 0 when a drain was woken.
_ASK = """
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then return 1 end
redis.call('LPUSH', KEYS[2], 1)
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 0
"""

UNREACHABLE = (BrokerError, RedisError, ConnectionError, OSError)


def request(topic: str) -> bool:
    """Ask for a drain of `topic`: publish one unless a drain holds the flag,
    which is woken instead. Returns False, and leaves the events for the
    sweep, when the broker cannot be reached."""
    flag = _flag(topic)
    try:
        if flag is not None:
            client, key, wake = flag
            if not client.register_script(_ASK)(keys=[key, wake], args=[FLAG_SECONDS]):
                return True
        _publish(topic)
    except UNREACHABLE as exc:
        logger.warning("outbox: no drain of %s asked for (%s); the sweep will retry", topic, exc)
        stop(topic)  # whoever comes next asks again
        return False
    return True


def hand_over(topic: str) -> None:
    """A drain past its time asks for the next one, keeping the flag up."""
    flag = _flag(topic)
    try:
        if flag is not None:
            client, key, _wake = flag
            client.set(key, 1, ex=FLAG_SECONDS)
        _publish(topic)
    except UNREACHABLE as exc:
        logger.warning("outbox: drain of %s not handed over (%s)", topic, exc)
        stop(topic)


def wait(topic: str, *, seconds: float) -> bool:
    """Wait up to `seconds` for a new event of `topic` (a push on the wake
    list), keeping the flag up meanwhile. True when one came; False when
    none did, when nothing can wake this drain (in-process tasks) or when
    Redis cannot be reached."""
    flag = _flag(topic)
    if flag is None or seconds <= 0:
        return False
    client, key, wake = flag
    try:
        client.set(key, 1, ex=FLAG_SECONDS)
        if client.blpop([wake], timeout=seconds) is None:
            return False
        client.delete(wake)  # one look takes every event these pushes announced
    except UNREACHABLE:
        return False
    return True


def stop(topic: str) -> bool:
    """Lower the flag: from now on a new event asks for a new drain. A drain
    calls this before its last look at the outbox. False when there is no
    flag (in-process tasks), and so no last look to take."""
    flag = _flag(topic)
    if flag is None:
        return False
    client, key, _wake = flag
    # Unreachable: the flag expires on its own, and the sweep covers the gap.
    with suppress(*UNREACHABLE):
        client.delete(key)
    return True


def _publish(topic: str) -> None:
    current_app.tasks[settings.BATON_OUTBOX_ROUTES[topic]].delay()


def _flag(topic: str) -> tuple[redis.Redis, str, str] | None:
    """The Redis client, the flag's key and the wake list's key of `topic`, or
    None when the broker is not Redis (in-process tasks)."""
    url = current_app.conf.broker_url or ""
    if current_app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        # The socket timeout leaves room for the longest wait (a BLPOP).
        timeout = settings.BATON_OUTBOX_DRAIN_LINGER + 2
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=2)
        _clients[url] = client
    key = flag_key(current_app.conf.task_default_queue, topic)
    return client, key, f"{key}:wake"


def flag_key(queue: str, topic: str) -> str:
    """The Redis key of the drain flag of `topic` on `queue`."""
    return f"baton:outbox:drain:{queue}:{topic}"


_clients: dict[str, redis.Redis] = {}
