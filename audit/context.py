"""Who is acting and from where, for entries written deep inside services.

The middleware sets it per request; services then record with one line and no
request argument. Celery tasks and commands have no request: their entries
carry no user, address or agent (the system acted).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from web.client import client_ip


@dataclass(frozen=True)
class Origin:
    request: HttpRequest

    @property
    def ip_address(self) -> str | None:
        return client_ip(self.request) or None

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("User-Agent", "")[:300]


current: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current.set(Origin(request))
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
