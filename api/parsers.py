"""Request bodies the API reads: JSON only, with one size limit and a nesting cap.

Not a subclass of DRF's JSONParser on purpose: DRF hands its own JSON and form
parsers `request.body`, which Django refuses beyond DATA_UPLOAD_MAX_MEMORY_SIZE
(2.5 MiB) with an HTML 400 before any parser runs. This parser reads the
stream itself, so the API's limit (API_MAX_BODY_BYTES) is the only one, and a
body beyond it is a 413 in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from web import json_input

# The deepest a valid body nests is the batch: envelope, list, item, details
# (MAX_DETAILS_DEPTH). Far below what makes any parser recurse dangerously.
MAX_JSON_DEPTH = 16


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def body_limit() -> int:
    limit: int = settings.BATON_API_MAX_BODY_BYTES
    return limit


def too_large(size: int) -> BodyTooLarge:
    return BodyTooLarge(
        _("The body is %(size)s bytes; the API reads at most %(limit)s. Send less at once.")
        % {"size": f"{size:,}", "limit": f"{body_limit():,}"}
    )


class JSONBodyParser(BaseParser):
    """UTF-8 JSON up to API_MAX_BODY_BYTES, nested at most MAX_JSON_DEPTH
    levels, numbers finite; anything else is a 400 (413 when too large)."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit()
        if length > limit:
            raise too_large(length)  # refused before reading a byte of it
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise too_large(len(body))
        try:
            return json_input.loads(body, max_depth=MAX_JSON_DEPTH)
        except json_input.TooDeep:
            raise ParseError(
                _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_JSON_DEPTH}
            ) from None
        except json_input.JsonInputError as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None
