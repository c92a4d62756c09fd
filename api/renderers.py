"""JSON out, whatever was echoed from the request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer (UTF-8, Japanese as is), falling back to \\u escapes when
    the data holds a lone surrogate, which UTF-8 cannot encode: a request may
    send one (`"\\ud800"` is a valid JSON escape) and an error message quote it."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            rendered: bytes = _EscapingJSONRenderer().render(
                data, accepted_media_type, renderer_context
            )
            return rendered


class _EscapingJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True
