"""Filters shared by the API's lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

# The largest id any supported database stores (a signed 64-bit integer);
# larger numbers overflow SQLite's integers before they reach a query.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """Rows pointing at the object with this id. An id nobody has matches
    nothing (an empty page), as with any other filter value, rather than
    answering 400 as a choice of existing objects would; a value that cannot
    be an id answers 400."""

    field_class = IdField


# A column of Django's IntegerField (a signed 32-bit integer everywhere).
MAX_INT = 2**31 - 1


class IntField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=-MAX_INT - 1, max_value=MAX_INT, **kwargs)


@extend_schema_field({"type": "integer", "minimum": -MAX_INT - 1, "maximum": MAX_INT})
class IntFilter(django_filters.NumberFilter):
    """A whole number for an IntegerField (a score); out of range answers 400."""

    field_class = IntField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, taken to UTC: PostgreSQL refuses offsets
    beyond ±15:59 that Python accepts (+18:46 was a 500)."""

    def clean(self, value: Any) -> datetime | None:
        cleaned: datetime | None = super().clean(value)
        if cleaned is None or cleaned.tzinfo is None:
            return cleaned
        try:
            return cleaned.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                _("Enter a date and time between the years 1 and 9999."), code="overflow"
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
