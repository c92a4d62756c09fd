"""Who is calling: the client's address, the same for the login lockout
(django-axes), the rate limits and the audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address.

    With no proxy in front (BATON_TRUSTED_PROXY_HOPS = 0) it is the peer of
    the connection. Behind N proxies, each of which appends the address it
    was called from to X-Forwarded-For, the last N entries were written by
    them; anything to their left was sent by the client and may be forged.
    So the address is the N-th entry from the right, the right-most one no
    proxy of ours vouches beyond, never the first. With fewer entries than
    hops the request bypassed the outer proxies, and the left-most entry is
    still one a proxy of ours wrote. An entry that is not an address (a
    misconfigured proxy) falls back to the peer, so that nothing downstream
    stores text as an address.
    """
    peer = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.BATON_TRUSTED_PROXY_HOPS
    if hops <= 0:
        return peer
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [address for address in forwarded if address]
    if not forwarded:
        return peer
    candidate = forwarded[-min(hops, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
