"""Request bodies the API reads: JSON, with a cap on its size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


class CappedJSONParser(JSONParser):
    """DRF's JSON parser reads the whole body whatever its size (Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE guards only request.body): refuse a body over
    BATON_API_MAX_BODY_BYTES before reading it."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.BATON_API_MAX_BODY_BYTES
        if length > limit:
            raise BodyTooLarge(
                _("The body is %(size)s bytes; the API reads at most %(limit)s. Send less at once.")
                % {"size": f"{length:,}", "limit": f"{limit:,}"}
            )
        return super().parse(stream, media_type, parser_context)
