"""Filters shared by the API's lists.

Each takes exactly what the schema says: a value given once, never empty for
a typed filter, whole numbers in ASCII digits, dates and times in RFC 3339
form. Django's form fields are lenient for people typing into a page (they
read "1.0" as 1, "１２" as 12, "01/05/2026" as a date); an API client that
relies on that relies on what no schema promises.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

# The largest id any supported database stores (a signed 64-bit integer);
# larger numbers overflow SQLite's integers before they reach a query.
MAX_ID = 2**63 - 1


WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)
# The same forms the request fields take (api/fields.py states them in the schema).
FULL_DATE = re.compile(
    "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
    "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    re.ASCII,
)
DATE_TIME = re.compile(
    FULL_DATE.pattern
    + "[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
    + "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
    re.ASCII,
)


class _WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not WHOLE_NUMBER.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdField(_WholeNumberField):
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


class IntField(_WholeNumberField):
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
        if value not in self.empty_values and not DATE_TIME.fullmatch(str(value)):
            raise forms.ValidationError(
                _("Give a date and time with its offset: 2026-01-05T10:00:00+09:00."),
                code="invalid",
            )
        cleaned: datetime | None = super().clean(value)
        if cleaned is None or cleaned.tzinfo is None:
            return cleaned
        try:
            return cleaned.astimezone(UTC)
        except OverflowError:
            # Before the year 1 or after 9999 in UTC: as a bound, the same as
            # the calendar's first or last moment (no row lies beyond it).
            if cleaned.year < 5000:
                return datetime.min.replace(tzinfo=UTC)
            return datetime.max.replace(tzinfo=UTC)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class DateOnlyField(forms.DateField):
    """A date as RFC 3339 writes it (2026-01-05), nothing else."""

    def to_python(self, value: Any) -> date | None:
        if value not in self.empty_values and not FULL_DATE.fullmatch(str(value)):
            raise forms.ValidationError(_("Give a date as 2026-01-05."), code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "string", "format": "date"})
class DateOnlyFilter(django_filters.DateFilter):
    field_class = DateOnlyField


class ApiFilterSet(django_filters.FilterSet):
    """A FilterSet for the API: a parameter given twice, or given empty when it
    is not free text, is an error rather than ignored."""

    def get_form_class(self) -> type[forms.Form]:
        base: type[forms.Form] = super().get_form_class()
        typed = {
            name
            for name, declared in self.filters.items()
            if not isinstance(declared, django_filters.CharFilter)
            or isinstance(declared, django_filters.ChoiceFilter)
        }

        class StrictForm(base):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                for name in self.fields:
                    values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
                    if len(values) > 1:
                        self.add_error(name, _("Give this parameter once."))
                    elif values == [""] and name in typed:
                        self.add_error(name, _("Give a value, or leave the parameter out."))
                cleaned: dict[str, Any] = super().clean()
                return cleaned

        return StrictForm
