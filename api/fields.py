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

# What the schema states beside each format (OpenAPI 3.1 treats a format as a
# note, not a rule), and what the fields check: the same expressions.
_YEAR = "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_DAY = _YEAR + "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
_OFFSET = "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN = f"^{_DAY}$"
DATE_TIME_PATTERN = f"^{_DAY}[Tt]{_TIME}{_OFFSET}$"
# A dot-atom address on a domain of letters, digits and inner hyphens: a part
# of what Django's EmailValidator accepts, stated so that a client can check it.
EMAIL_PATTERN = (
    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    "@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$"
)
FULL_DATE = re.compile(DATE_PATTERN, re.ASCII)
DATE_TIME = re.compile(DATE_TIME_PATTERN, re.ASCII)
EMAIL = re.compile(EMAIL_PATTERN, re.ASCII)


def integral(data: Any) -> int | None:
    """A JSON number that is a whole number (JSON Schema counts 204.0 as an
    integer), as an int; None for anything else."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, float) and data.is_integer():
        return int(data)
    return None


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


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value: str = super().to_internal_value(data)
        return value


class StrictEmailField(serializers.EmailField):
    """An address matching EMAIL_PATTERN (which the schema states)."""

    default_error_messages = {"unstorable": UNSTORABLE}

    def to_internal_value(self, data: Any) -> str:
        if not (isinstance(data, str) and EMAIL.fullmatch(data)):
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


class StrictBooleanField(serializers.BooleanField):
    """true or false, nothing else ("true", 1 and "yes" are not JSON booleans)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        number = integral(data)
        if number is None:
            self.fail("invalid")
        value: int = super().to_internal_value(number)
        return value


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An id: a whole number from 1. One that names nothing the caller may see
    fails with the code `does_not_exist`, answered 404 (api.errors)."""

    def to_internal_value(self, data: Any) -> Any:
        number = integral(data)
        if number is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= number <= MAX_ID:
            self.fail("incorrect_type", data_type="id")
        return super().to_internal_value(number)


def _as_rule(error: serializers.ValidationError) -> serializers.ValidationError:
    """A value of the right form that is no real moment (February 30th, or
    beyond the calendar once moved to Baton's time zone): refused by a rule
    (422), since the schema's pattern allows it."""
    return serializers.ValidationError(error.detail, code="rule")


class StrictDateField(serializers.DateField):
    """A date as RFC 3339 writes it (2026-01-05), nothing else Python reads."""

    def to_internal_value(self, value: Any) -> Any:
        if not (isinstance(value, str) and FULL_DATE.fullmatch(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError as error:
            raise _as_rule(error) from None


FIRST_YEAR, LAST_YEAR = 1900, 2199


class StrictDateTimeField(serializers.DateTimeField):
    """A date and time with its offset, as RFC 3339 writes it."""

    default_error_messages = {
        "invalid": _("Give a date and time with its offset: 2026-01-05T10:00:00+09:00."),
    }

    def to_internal_value(self, value: Any) -> Any:
        if not (isinstance(value, str) and DATE_TIME.fullmatch(value)):
            self.fail("invalid")
        try:
            moment = super().to_internal_value(value.upper())
        except serializers.ValidationError as error:
            raise _as_rule(error) from None
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            # Far beyond any event; and shown in Baton's time zone, year 1 has
            # an offset in seconds (Tokyo's local mean time) no client reads.
            raise serializers.ValidationError(
                _("Give a date and time between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
                code="rule",
            )
        return moment


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
        if isinstance(data, str) and self.pattern.fullmatch(data):
            return super().to_internal_value(data)
        number = integral(data)
        if number is None or not 0 <= number < 10**self.digits:
            self.fail("invalid")
        return super().to_internal_value(number)


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
    if levels >= 1:  # room for one more array or object
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
        (models.SlugField, StrictSlugField),
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


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string: ASCII digits, an optional minus."""

    def to_internal_value(self, data: Any) -> int:
        if not (isinstance(data, str) and re.fullmatch(r"-?[0-9]+", data, re.ASCII)):
            self.fail("invalid")
        if len(data.lstrip("-0")) > 19:  # beyond any id; Python reads no more than 4,300 digits
            self.fail("max_string_length")
        value: int = super().to_internal_value(data)
        return value
