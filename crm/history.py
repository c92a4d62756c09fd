"""Field-level change history (django-simple-history), as people read it:
who changed which field from what to what, and when.

Generic: it reads any model registered with `HistoricalRecords` (people and
companies today), so a record's page shows its history through
`field_changes(record)` and the partial `crm/_field_history.html`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from web.people import person

# Enough for a record's page: older changes stay in the table (and the admin).
LIMIT = 50


class FieldChange(NamedTuple):
    when: datetime
    who: str
    field: str  # the field's name as the reader's language says it
    old: str
    new: str


def field_changes(record: models.Model, *, limit: int = LIMIT) -> list[FieldChange]:
    """The record's changes, newest first, one entry per field changed (at
    most `limit` saves read: two queries, however many changes). A creation
    is not a change and is not listed."""
    history = record.history  # type: ignore[attr-defined]
    versions = list(
        history.select_related("history_user").order_by("-history_date", "-pk")[: limit + 1]
    )
    raw: list[tuple[Any, models.Field[Any, Any], Any, Any]] = []
    for newer, older in pairwise(versions):
        delta = newer.diff_against(older)
        for change in delta.changes:
            field: Any = record._meta.get_field(change.field)
            raw.append((newer, field, change.old, change.new))
    names = _related_names(raw)
    return [
        FieldChange(
            when=version.history_date,
            who=person(version.history_user) if version.history_user else _("Baton"),
            field=str(field.verbose_name),
            old=_shown(field, old, names),
            new=_shown(field, new, names),
        )
        for version, field, old, new in raw
    ]


def _related_names(
    raw: list[tuple[Any, models.Field[Any, Any], Any, Any]],
) -> dict[tuple[type[models.Model], Any], str]:
    """Names of the related rows the changes point at, one query per model."""
    wanted: dict[type[models.Model], set[Any]] = {}
    for _version, field, old, new in raw:
        if field.is_relation and field.related_model is not None:
            model: Any = field.related_model
            wanted.setdefault(model, set()).update(v for v in (old, new) if v is not None)
    names: dict[tuple[type[models.Model], Any], str] = {}
    user_model = get_user_model()
    for model, pks in wanted.items():
        for pk, row in model._default_manager.in_bulk(pks).items():
            names[(model, pk)] = person(row) if model is user_model else str(row)
    return names


def _shown(
    field: models.Field[Any, Any], value: Any, names: dict[tuple[type[models.Model], Any], str]
) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation and field.related_model is not None:
        related: Any = field.related_model
        return names.get((related, value), _("deleted (#%(id)s)") % {"id": value})
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
