"""Errors the API answers beyond DRF's own."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(APIException):
    """The request was understood, but the object's state forbids it now (for
    example another rep claimed the handoff first)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object changed meanwhile; read it again.")
    default_code = "conflict"


class DetailSerializer(serializers.Serializer[dict[str, str]]):
    """The body of an error that is not about one field."""

    detail = serializers.CharField()


# Validation codes that say the request is well formed but refused by what is
# stored or by a rule between fields: answered with their own status, so that
# 400 always means "not as the schema says" (schemathesis holds the API to it).
NOT_FOUND_CODES = frozenset({"does_not_exist", "not_found"})
CONFLICT_CODES = frozenset({"unique"})
RULE_CODES = frozenset({"rule"})


def _codes(codes: Any) -> set[str]:
    if isinstance(codes, dict):
        return set().union(*(_codes(c) for c in codes.values())) if codes else set()
    if isinstance(codes, list):
        return set().union(*(_codes(c) for c in codes)) if codes else set()
    return {str(codes)}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        return next((_first_message(d) for d in detail.values()), "")
    if isinstance(detail, list):
        return next((_first_message(d) for d in detail), "")
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a validation error's status chosen by its codes:
    400 for input the schema does not allow, 404 for an id that names nothing
    the caller may see, 409 for a clash with what is stored (an email already
    taken), 422 for values valid one by one but not together. A 404, 409 or
    422 body has a `detail` sentence beside the messages by field."""
    if isinstance(exc, Http404):
        exc = NotFound()  # "No Handoff matches the given query." names the model
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, ValidationError):
        return response
    codes = _codes(exc.get_codes())
    for refused, status_code in (
        (NOT_FOUND_CODES, status.HTTP_404_NOT_FOUND),
        (CONFLICT_CODES, status.HTTP_409_CONFLICT),
        (RULE_CODES, status.HTTP_422_UNPROCESSABLE_ENTITY),
    ):
        if codes and codes <= NOT_FOUND_CODES | CONFLICT_CODES | RULE_CODES and codes & refused:
            body = response.data if isinstance(response.data, dict) else {}
            response.data = {"detail": _first_message(exc.detail), **body}
            response.status_code = status_code
            break
    return response
