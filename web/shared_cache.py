"""The shared cache (Redis in production), or this process's memory while the
shared one cannot be reached.

The rate limits, the API's throttles and a few cached reads keep their data
in the shared cache. When it is away (Redis stopped, restarting,
unreachable), requests must still be answered: each call falls back to a
cache in this process's memory, so each process counts on its own (a
per-process limit) until the shared cache answers again. After a failure the
shared cache is left alone for RETRY_SECONDS, so that requests do not each
pay a failed connection; going away and coming back are logged once each,
and /readyz reports it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long the shared cache is left alone after it failed.
RETRY_SECONDS = 2.0
# What an unreachable Redis raises (OSError: the socket itself, other backends).
UNREACHABLE = (RedisError, OSError)

T = TypeVar("T")

_local = LocMemCache("baton-shared-cache-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_lock = threading.Lock()
_down_since: float | None = None  # time.time() of the first failure, while away
_retry_at = 0.0  # time.monotonic() before which the shared cache is not tried


def call(shared: Callable[[BaseCache], T], local: Callable[[BaseCache], T]) -> T:
    """`shared(cache)` on the shared cache; `local(cache)` on this process's
    memory when the shared one cannot be reached (or failed moments ago)."""
    if time.monotonic() >= _retry_at:
        try:
            result = shared(caches["default"])
        except UNREACHABLE as exc:
            _went_away(exc)
        else:
            if _down_since is not None:
                _came_back()
            return result
    return local(_local)


def down_since() -> float | None:
    """When this process last found the shared cache unreachable (a Unix
    time), or None while it answers."""
    return _down_since


def reachable() -> bool:
    """Ask the shared cache itself, now (for /readyz)."""
    shared = caches["default"]
    ask = RedisCache.get if isinstance(shared, FallbackRedisCache) else type(shared).get
    try:
        ask(shared, "baton:readyz")
    except UNREACHABLE:
        return False
    return True


def forget() -> None:
    """Back to trying the shared cache at once, with an empty fallback (tests)."""
    global _down_since, _retry_at
    with _lock:
        _down_since, _retry_at = None, 0.0
    _local.clear()


def _went_away(exc: Exception) -> None:
    global _down_since, _retry_at
    with _lock:
        _retry_at = time.monotonic() + RETRY_SECONDS
        if _down_since is not None:
            return
        _down_since = time.time()
    logger.warning(
        "shared cache unreachable (%s): rate limits and throttles count in this "
        "process until it answers again",
        exc,
    )


def _came_back() -> None:
    global _down_since
    with _lock:
        if _down_since is None:
            return
        away, _down_since = time.time() - _down_since, None
    logger.warning("shared cache reachable again after %.1f s: counting there again", away)


class FailOpenCache:
    """The part of Django's cache API that DRF's throttles and cached reads
    use, through `call`: the shared cache, or this process's memory."""

    def get(self, key: str, default: Any = None) -> Any:
        return call(lambda c: c.get(key, default), lambda c: c.get(key, default))

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:  # type: ignore[assignment]
        call(lambda c: c.set(key, value, timeout), lambda c: c.set(key, value, timeout))

    def delete(self, key: str) -> None:
        """From both: a value the fallback kept while the shared cache was
        away must not outlive a deletion."""
        _local.delete(key)
        call(lambda c: c.delete(key), lambda c: None)


cache = FailOpenCache()


def _fallback(name: str) -> Callable[..., Any]:
    redis_method = getattr(RedisCache, name)

    def method(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        return call(
            lambda _shared: redis_method(self, *args, **kwargs),
            lambda local: getattr(local, name)(*args, **kwargs),
        )

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, or this process's memory while Redis is away."
    return method


class FallbackRedisCache(RedisCache):
    """Django's Redis cache for every user of the cache, the libraries' too
    (django-allauth keeps used one-time codes there): while Redis is away each
    call is answered from this process's memory, as `call` does, instead of
    raising. Configured by settings for a redis:// CACHE_URL."""

    add = _fallback("add")
    get = _fallback("get")
    set = _fallback("set")
    touch = _fallback("touch")
    delete = _fallback("delete")
    get_many = _fallback("get_many")
    has_key = _fallback("has_key")
    incr = _fallback("incr")
    set_many = _fallback("set_many")
    delete_many = _fallback("delete_many")
    clear = _fallback("clear")
