"""Finding a person's data: the rows linked to them, and mentions elsewhere.

Both work from the schema instead of a hand-kept list of tables, so that a
table added later is covered without anyone remembering this package:

- *Linked rows* point at the lead, or at a row that does, through foreign
  keys or through the references a model declares (`personal_rows`, see
  crm.models.PersonalRows): a lead id inside a webhook payload, a visitor id.
- *Mentions* are rows of any other table whose text or JSON columns contain
  one of the person's identifiers, in any of the forms Identifiers knows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from crm.models import Lead, PersonalRows
from crm.privacy.identity import Identifiers

# Tables never read nor rewritten: the append-only audit trail (it names
# people by id only, see audit/models.py) and Django's own bookkeeping. Staff
# accounts are not the subjects of these requests.
UNTOUCHED = {
    "audit.auditentry",
    "contenttypes.contenttype",
    "auth.permission",
    "auth.user",
    "sessions.session",
}
# Rows reached through rows through rows…; a guard, not a limit in practice
# (lead → handoff → notification is two steps).
MAX_DEPTH = 5


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def declared(model: type[models.Model]) -> PersonalRows | None:
    found = getattr(model, "personal_rows", None)
    return found if isinstance(found, PersonalRows) else None


def linked_rows(lead: Lead) -> list[models.Model]:
    """Every row linked to the lead, level by level, each once."""
    seen: dict[type[models.Model], set[Any]] = {Lead: {lead.pk}}
    frontier: dict[type[models.Model], list[Any]] = {Lead: [lead.pk]}
    found: list[models.Model] = []
    candidates = [
        m
        for m in apps.get_models()
        if label(m) not in UNTOUCHED and m is not Lead and not m._meta.proxy
    ]
    for _level in range(MAX_DEPTH):
        reached: dict[type[models.Model], list[Any]] = {}
        for model in candidates:
            query = Q()
            for lookup, target in _references(model):
                if target in frontier:
                    query |= Q(**{f"{lookup}__in": frontier[target]})
            if not query:
                continue
            known = seen.setdefault(model, set())
            for row in model._default_manager.filter(query).order_by("pk"):
                if row.pk not in known:
                    known.add(row.pk)
                    reached.setdefault(model, []).append(row.pk)
                    found.append(row)
        if not reached:
            break
        frontier = reached
    return found


def _references(model: type[models.Model]) -> list[tuple[str, type[models.Model]]]:
    """(lookup, model it points at): its foreign keys and declared references."""
    refs = [
        (field.name, field.related_model)
        for field in model._meta.concrete_fields
        if field.is_relation and isinstance(field.related_model, type)
    ]
    if (rows := declared(model)) is not None:
        refs += [(lookup, apps.get_model(target)) for lookup, target in rows.refs.items()]
    return refs


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.primary_key
    ]


def mentions(
    ids: Identifiers, *, skip_models: set[str], skip_rows: set[tuple[str, Any]]
) -> Iterator[tuple[type[models.Model], list[models.Model]]]:
    """Rows whose text or JSON columns contain an identifier, in one regular
    expression per table (read once, whatever the number of forms)."""
    regex = ids.regex()
    for model in apps.get_models():
        name = label(model)
        if name in UNTOUCHED or name in skip_models or model._meta.proxy:
            continue
        fields = text_fields(model)
        if not fields:
            continue
        query = Q()
        annotations = {}
        for field in fields:
            column = field.name
            if isinstance(field, models.JSONField):
                column = f"_privacy_{field.name}"
                annotations[column] = Cast(field.name, TextField())
            query |= Q(**{f"{column}__iregex": regex})
        rows = [
            row
            for row in model._default_manager.annotate(**annotations).filter(query).order_by("pk")
            if (name, row.pk) not in skip_rows
        ]
        if rows:
            yield model, rows
