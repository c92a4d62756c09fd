"""The OpenAPI schema: drf-spectacular's, with the error answers every
operation can give (clients and schemathesis rely on them being described)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from api.errors import DetailSerializer

# An error with one message (authentication, permission, not found, throttled).
DETAIL_ERRORS = {
    "401": "No credentials, or a token that is not valid.",
    "403": "Your role does not allow this.",
    "404": "Not found among the objects you can see (or an invalid cursor).",
    "429": "Too many requests: wait as the Retry-After header says.",
}
BODY_ERRORS = {
    "413": "The body is larger than the API reads (API_MAX_BODY_BYTES).",
    "415": "The body is not JSON, form data or multipart form data (or cannot be parsed).",
}
VALIDATION_ERROR: dict[str, Any] = {
    "description": "Invalid input: each field (or item) with its messages.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": {},
                "example": {"email": ["Enter a valid email address."]},
            }
        }
    },
}


class BatonAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        responses.setdefault("400", VALIDATION_ERROR)
        for code, description in DETAIL_ERRORS.items():
            if code not in responses:
                responses[code] = self._detail_error(code, description, direction)
        if self.method in {"POST", "PUT", "PATCH"}:
            for code, description in BODY_ERRORS.items():
                if code not in responses:
                    responses[code] = self._detail_error(code, description, direction)
        return responses

    def _detail_error(self, code: str, description: str, direction: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._get_response_for_code(
            DetailSerializer, code, direction=direction
        )
        response["description"] = description
        return response
