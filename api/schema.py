"""The OpenAPI schema: drf-spectacular's, with the error answers every
operation can give (clients and schemathesis rely on them being described)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from api.errors import DetailSerializer
from api.fields import DATE_PATTERN, DATE_TIME_PATTERN, EMAIL_PATTERN, TEXT_PATTERN

# An error with one message (authentication, permission, not found, throttled).
DETAIL_ERRORS = {
    "401": "No credentials, or a token that is not valid.",
    "403": "Your role does not allow this.",
    "404": "Not found among the objects you can see (or an invalid cursor).",
    "429": "Too many requests: wait as the Retry-After header says.",
}
BODY_ERRORS = {
    "404": "An id in the body names nothing you can see (`detail`, and the field).",
    "409": "It clashes with what is stored: an email or name already taken, a state "
    "that changed (`detail`, and the field).",
    "413": "The body is larger than the API reads (API_MAX_BODY_BYTES).",
    "415": "The body is not JSON (the only type the API reads).",
    "422": "Each value is valid, but together, or with what is stored, they break a rule "
    "(`detail`, and the field).",
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


FORMAT_PATTERNS = {"date": DATE_PATTERN, "date-time": DATE_TIME_PATTERN, "email": EMAIL_PATTERN}


def state_what_is_refused(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: every free-text string says that it holds no NUL
    character (PostgreSQL cannot store it; the API answers 400), and every
    date, date and time or email the API reads states the pattern it must
    match (in OpenAPI 3.1 a format is a note, not a rule)."""

    def visit(node: Any, *, read: bool) -> None:
        if isinstance(node, dict):
            types = node.get("type")
            text = types == "string" or (isinstance(types, list) and "string" in types)
            if text and not {"enum", "pattern", "const"} & set(node):
                if "format" not in node:
                    node["pattern"] = TEXT_PATTERN
                elif read and node["format"] in FORMAT_PATTERNS:
                    node["pattern"] = FORMAT_PATTERNS[node["format"]]
            for value in node.values():
                visit(value, read=read)
        elif isinstance(node, list):
            for value in node:
                visit(value, read=read)

    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                visit(operation.get("parameters", []), read=True)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        visit(component, read=name.endswith("Request"))
    return result
