"""The right of access: everything Baton holds about a person, as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from audit import trail
from crm.models import Lead
from crm.privacy.identity import Identifiers
from crm.privacy.links import label, linked_rows, mentions


def export_person(lead: Lead, *, by: User) -> dict[str, Any]:
    """Everything Baton holds about the person, as a JSON-ready document:
    the lead, its company, every linked row by table, and other rows that
    mention the person (such as outbox payloads or import files). Recorded in
    the audit trail."""
    ids = Identifiers.of(lead)
    rows = linked_rows(lead)
    linked: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        linked.setdefault(label(type(row)), []).append(_as_dict(row))
    skip = {(label(type(row)), row.pk) for row in rows}
    mentioned: dict[str, list[dict[str, Any]]] = {}
    for model, found in mentions(ids, skip_models={"crm.lead"}, skip_rows=skip):
        mentioned.setdefault(label(model), []).extend(_as_dict(r) for r in found)
    document = {
        "exported_at": timezone.now().isoformat(),
        "lead": _as_dict(lead),
        "company": _as_dict(lead.company) if lead.company else None,
        "linked": linked,
        "mentioned_in": mentioned,
    }
    trail.record(trail.Action.PERSONAL_DATA_EXPORTED, lead, actor=by)
    # A round trip makes the document plain JSON values (dates as strings).
    return json.loads(json.dumps(document, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _as_dict(row: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        value = field.value_from_object(row)
        if isinstance(value, bytes | memoryview):
            value = f"<{len(bytes(value))} bytes>"
        data[field.attname] = value
    return data
