"""Fixed-window rate limits kept in Django's cache (Redis in production)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    scope: str
    setting: str  # the name of the setting that holds the requests allowed per minute

    @property
    def per_minute(self) -> int:
        return int(getattr(settings, self.setting))


def hit(limit: Limit, ident: str) -> int:
    """Count one request; 0 when allowed, else the seconds until the window resets."""
    window = 60
    now = time.time()
    key = f"rl:{limit.scope}:{ident}:{int(now // window)}"
    # add() then incr() is atomic on Redis and within one locmem process.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one only
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count <= limit.per_minute:
        return 0
    return max(1, int(window - now % window))


def client_ip(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For only behind a trusted proxy."""
    if settings.BATON_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
