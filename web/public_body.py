"""Reading the body of a public POST without trusting it.

A public endpoint gets whatever anyone sends: bodies larger than announced,
JSON nested thousands of levels deep (`json.loads` raises RecursionError at
about 7,000), form bodies Django refuses to parse. `public_body` turns each of
these into a `Refused` with a sentence for the reader, before the view runs;
the endpoint decides how to show it (JSON for JSON clients, its page
otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

P = ParamSpec("P")


class Refused(Exception):
    """The request is refused with `status` and a sentence the reader understands."""

    def __init__(self, message: str, *, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


class PublicRequest(HttpRequest):
    """A request behind @public_body: `posted` holds the fields of a form
    post (a QueryDict) or of a JSON object (a dict)."""

    posted: Mapping[str, Any]


def is_json(request: HttpRequest) -> bool:
    """Whether the body is JSON (application/json or any +json type)."""
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


def wants_json(request: HttpRequest) -> bool:
    """Whether the client reads JSON: it sends JSON, or asks for JSON and not HTML."""
    accept = request.headers.get("Accept", "")
    return is_json(request) or ("application/json" in accept and "text/html" not in accept)


def too_deep(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` deep.

    One pass over the bytes, brackets inside strings ignored, so that the
    parser never sees a document deep enough to exhaust the stack. Works on
    UTF-8 and UTF-16/32 alike (the brackets and quotes are ASCII code units).
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the common case: a flat object
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def json_object(body: bytes, *, max_depth: int) -> dict[str, Any]:
    """The JSON object in `body`; Refused when it is not one."""
    if too_deep(body, max_depth):
        raise Refused(_("The JSON is nested too deeply."))
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise Refused(_("The body is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise Refused(_("Send a JSON object."))
    return data


def declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError as exc:
        raise Refused(_("The request's Content-Length is not a number.")) from exc


def public_body(
    *, max_bytes: int, max_depth: int
) -> Callable[
    [Callable[Concatenate[PublicRequest, P], HttpResponse]],
    Callable[Concatenate[HttpRequest, P], HttpResponse],
]:
    """Decorate a public view: on POST, refuse a body over `max_bytes` (413),
    parse a JSON body into a dict (an object nested at most `max_depth`
    deep) or a form body into a QueryDict, as `request.posted`. Whatever the
    body, the view either runs or a `Refused` is raised."""

    def decorate(
        view: Callable[Concatenate[PublicRequest, P], HttpResponse],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            public = _as_public(request)
            public.posted = {}
            if request.method == "POST":
                if declared_length(request) > max_bytes:
                    raise Refused(_("The submission is too large."), status=413)
                public.posted = _parse(request, max_depth=max_depth)
            return view(public, *args, **kwargs)

        return wrapper

    return decorate


def _as_public(request: HttpRequest) -> PublicRequest:
    return request  # type: ignore[return-value]  # the attribute is set by the caller


def _parse(request: HttpRequest, *, max_depth: int) -> Mapping[str, Any]:
    if is_json(request):
        return json_object(request.body, max_depth=max_depth)
    try:
        return request.POST
    except (SuspiciousOperation, MultiPartParserError, BadRequest) as exc:
        # Too many fields, a broken multipart body: Django's own 400, as a sentence.
        raise Refused(_("The form could not be read. Please send it again.")) from exc
