"""Fixed-window rate limits kept in the shared cache (Redis in production).

When the shared cache cannot be reached the limits fail open to a limit per
process: each process counts in its own memory, with the same allowance,
until the cache answers again (web/shared_cache.py). A request is never
refused, nor answered with an error, because Redis is away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

from web import shared_cache
from web.client import client_ip

# The capture view and the page-view collector import the address from here.
__all__ = ["WINDOW", "Limit", "client_ip", "hit", "hit_all"]


@dataclass(frozen=True)
class Limit:
    scope: str
    setting: str  # the name of the setting that holds the requests allowed per minute

    @property
    def per_minute(self) -> int:
        return int(getattr(settings, self.setting))


WINDOW = 60


def hit(limit: Limit, ident: str) -> int:
    """Count one request; 0 when allowed, else the seconds until the window resets."""
    return hit_all([(limit, ident)])


def hit_all(checks: list[tuple[Limit, str]]) -> int:
    """Count one request against several limits in order; 0 when every limit
    allows it, else the seconds until the window resets.

    As `hit(a) or hit(b)` would: once a limit refuses, the later ones are not
    counted, so a flood from one address cannot use up a capture key's
    allowance. On Redis this is one round trip (a Lua script) instead of two
    per limit. With the shared cache away, this process counts alone.
    """
    now = time.time()
    keys = [f"rl:{limit.scope}:{ident}:{int(now // WINDOW)}" for limit, ident in checks]
    allowed = [limit.per_minute for limit, _ident in checks]
    refused = shared_cache.call(
        lambda cache: _count_shared(cache, keys, allowed),
        lambda cache: _count(cache, keys, allowed),
    )
    return max(1, int(WINDOW - now % WINDOW)) if refused else 0


def _count_shared(cache: BaseCache, keys: list[str], allowed: list[int]) -> bool:
    if isinstance(cache, RedisCache):
        return _count_on_redis(cache, keys, allowed)
    return _count(cache, keys, allowed)


def _count(cache: BaseCache, keys: list[str], allowed: list[int]) -> bool:
    """Whether a limit refuses, counted with the cache's add and incr (atomic
    on Redis and within one process's memory)."""
    return any(_incr(cache, key) > n for key, n in zip(keys, allowed, strict=True))


def _incr(cache: BaseCache, key: str) -> int:
    cache.add(key, 0, timeout=WINDOW + 5)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one only
        cache.set(key, 1, timeout=WINDOW + 5)
        return 1


# KEYS: the counters; ARGV: their time to live, then each one's allowance.
# Returns the position of the first counter over its allowance, or 0.
_COUNT_SCRIPT = """
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')
  if redis.call('INCR', key) > tonumber(ARGV[i + 1]) then return i end
end
return 0
"""


def _count_on_redis(backend: RedisCache, keys: list[str], allowed: list[int]) -> bool:
    """Whether a limit refuses, counted by Redis itself. Django's RedisCache
    stores integers as plain Redis integers, so cache.get() reads these
    counters as _count() writes them."""
    made = [backend.make_and_validate_key(key) for key in keys]
    # The client of the server that holds these keys (Django has no public accessor).
    client = backend._cache.get_client(made[0], write=True)  # type: ignore[attr-defined]
    # EVALSHA: the server runs the script it keeps instead of hashing it anew.
    script = client.register_script(_COUNT_SCRIPT)
    refused = script(keys=made, args=[WINDOW + 5, *allowed])
    return bool(refused)
