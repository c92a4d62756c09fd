"""DRF's throttles, counting in the shared cache or, while it cannot be
reached, in this process (web/shared_cache.py), and telling clients apart by
the same address as the rest of Baton (web/client.py)."""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.request import Request

from web import shared_cache
from web.client import client_ip


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = shared_cache.cache  # type: ignore[assignment]

    def get_ident(self, request: Request) -> str:
        # DRF's own reads the whole X-Forwarded-For unless NUM_PROXIES is set:
        # a client could name a new address with every request.
        return client_ip(request._request)


class UserRateThrottle(throttling.UserRateThrottle):
    cache = shared_cache.cache  # type: ignore[assignment]

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)
