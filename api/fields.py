"""Serializer fields that accept exactly what the OpenAPI schema says.

DRF is lenient where the schema is not: it reads the number 20966 as the text
"20966", "12" as the integer 12, dates such as "20260105" or full-width
digits, and it trims spaces off text. Clients then depend on what no schema
promises, and schemathesis finds requests the schema forbids answered 201.
Each field here takes its JSON type only and says in the schema what it
refuses (text PostgreSQL cannot store, dates not in RFC 3339 form).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.filters import MAX_ID
from web import json_input

# No NUL (PostgreSQL refuses it in text and JSON); lone surrogates cannot
# arrive as schema-valid text, and are refused all the same.
TEXT_PATTERN = "^[^\\x00]*$"
UNSTORABLE = _("Text cannot hold NUL characters or lone surrogates.")

FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


class StrictCharField(serializers.CharField):
    """Text only (no numbers read as text), kept as sent (not trimmed)."""

    default_error_messages = {"unstorable": UNSTORABLE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if json_input.unstorable(data):
            self.fail("unstorable")
        value: str = super().to_internal_value(data)
        return value


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"unstorable": UNSTORABLE}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if json_input.unstorable(data):
            self.fail("unstorable")
        value: str = super().to_internal_value(data)
        return value


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An id: a whole number from 1. One that names nothing the caller may see
    fails with the code `does_not_exist`, answered 404 (api.errors)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("incorrect_type", data_type="id")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date as RFC 3339 writes it (2026-01-05), nothing else Python reads."""

    def to_internal_value(self, value: Any) -> Any:
        if not (isinstance(value, str) and FULL_DATE.fullmatch(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictDateTimeField(serializers.DateTimeField):
    """A date and time with its offset, as RFC 3339 writes it."""

    default_error_messages = {
        "invalid": _("Give a date and time with its offset: 2026-01-05T10:00:00+09:00."),
    }

    def to_internal_value(self, value: Any) -> Any:
        if not (isinstance(value, str) and DATE_TIME.fullmatch(value)):
            self.fail("invalid")
        return super().to_internal_value(value.upper())


def whole_amount_schema(digits: int) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "string", "pattern": f"^[0-9]{{1,{digits}}}$"},
            {"type": "integer", "minimum": 0, "maximum": 10**digits - 1},
        ],
        "description": "A whole amount in yen: a string of digits, or a JSON integer.",
    }


class WholeAmountField(serializers.DecimalField):
    """A non-negative whole amount of up to `max_digits` digits: a string of
    ASCII digits or a JSON integer (no sign, point, exponent or spaces)."""

    def __init__(self, *, max_digits: int, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=0, min_value=0, **kwargs)
        self.digits = max_digits
        self.pattern = re.compile(f"[0-9]{{1,{max_digits}}}", re.ASCII)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            (isinstance(data, str) and self.pattern.fullmatch(data))
            or (isinstance(data, int) and 0 <= data < 10**self.digits)
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


# Details nest at most this deep (the details object is level 1): enough for a
# form's fields or an email's links, and a bound the schema can state.
MAX_DETAILS_DEPTH = 4
MAX_DETAILS_CHARS = 10_000


def _json_schema(levels: int) -> dict[str, Any]:
    scalars: list[dict[str, Any]] = [
        {"type": "string", "pattern": TEXT_PATTERN},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
    if levels > 1:
        inner = _json_schema(levels - 1)
        scalars += [
            {"type": "array", "items": inner},
            {"type": "object", "propertyNames": {"pattern": TEXT_PATTERN},
             "additionalProperties": inner},
        ]  # fmt: skip
    return {"anyOf": scalars}


def details_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": TEXT_PATTERN},
        "additionalProperties": _json_schema(MAX_DETAILS_DEPTH - 1),
        "description": (
            f"Any JSON object, nested at most {MAX_DETAILS_DEPTH} levels, at most "
            f"{MAX_DETAILS_CHARS:,} characters as JSON, without NUL characters."
        ),
    }


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@extend_schema_field(details_schema())
class DetailsField(serializers.DictField):
    """An activity's details: a JSON object PostgreSQL can store, bounded."""

    default_error_messages = {
        "unstorable": UNSTORABLE,
        "too_deep": _("Details nest at most %(depth)s levels.") % {"depth": MAX_DETAILS_DEPTH},
        "too_long": _("Details are limited to %(limit)s characters of JSON.")
        % {"limit": f"{MAX_DETAILS_CHARS:,}"},
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        if _depth(data) > MAX_DETAILS_DEPTH:
            self.fail("too_deep")
        if json_input.unstorable(data):
            self.fail("unstorable")
        if len(json.dumps(data, ensure_ascii=False)) > MAX_DETAILS_CHARS:
            self.fail("too_long")
        return data


class StrictModelSerializer(serializers.ModelSerializer[Any]):
    """A ModelSerializer whose fields accept exactly their JSON type."""

    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
    }
    serializer_choice_field = StrictChoiceField


def _strict_mapping() -> None:
    from django.db import models

    mapping = StrictModelSerializer.serializer_field_mapping
    for model_field, strict in (
        (models.CharField, StrictCharField),
        (models.TextField, StrictCharField),
        (models.EmailField, StrictEmailField),
        (models.IntegerField, StrictIntegerField),
        (models.BigIntegerField, StrictIntegerField),
        (models.PositiveIntegerField, StrictIntegerField),
        (models.SmallIntegerField, StrictIntegerField),
        (models.DateField, StrictDateField),
        (models.DateTimeField, StrictDateTimeField),
    ):
        mapping[model_field] = strict


_strict_mapping()


_AMOUNT_FIELDS: dict[int, type[WholeAmountField]] = {}


def whole_amount(max_digits: int, **kwargs: Any) -> WholeAmountField:
    """A WholeAmountField whose schema states its number of digits."""
    if max_digits not in _AMOUNT_FIELDS:
        field_class = type(f"WholeAmount{max_digits}Field", (WholeAmountField,), {})
        _AMOUNT_FIELDS[max_digits] = extend_schema_field(whole_amount_schema(max_digits))(
            field_class
        )
    return _AMOUNT_FIELDS[max_digits](max_digits=max_digits, **kwargs)
