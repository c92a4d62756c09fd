"""Errors the API answers beyond DRF's own."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """The request was understood, but the object's state forbids it now (for
    example another rep claimed the handoff first)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object changed meanwhile; read it again.")
    default_code = "conflict"


class DetailSerializer(serializers.Serializer[dict[str, str]]):
    """The body of an error that is not about one field."""

    detail = serializers.CharField()
