"""Under /api/, every error answer is JSON, whoever produced it.

DRF answers its own errors in JSON, but some come from Django before or after
DRF: the 404 of a path the router does not match (a non-numeric id), the 500
page of an unexpected exception, Django's debug pages when DEBUG is on, a
refusal by another middleware. This one turns any such answer into the same
`{"detail": "..."}` body the API's own errors have, keeping the status and the
headers a client acts on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    return media_type == "application/json" or media_type.endswith("+json")


def _message(status: int) -> str:
    messages = {
        400: _("The request could not be read."),
        401: _("Authentication credentials were not provided."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The body is too large."),
        429: _("Too many requests: wait as the Retry-After header says."),
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return _("Something went wrong on our side; nothing was saved. Try again later.")
    return _("The request failed (HTTP %(status)s).") % {"status": status}


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith("/api/") or _is_json(response):
            return response
        status = response.status_code
        answer = JsonResponse({"detail": _message(status)}, status=status)
        for header in KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer
