"""Erasure on request: the person leaves nothing readable behind, and the rows
the KPIs count stay, anonymous."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from audit import trail
from crm.models import Consent, Deal, Lead
from crm.privacy import files, tombstones
from crm.privacy.identity import ERASED, Identifiers, reduce_url
from crm.privacy.links import declared, label, linked_rows, mentions, text_fields

# Text of linked rows that is configuration, not about the person: the chat
# webhook a notification went to. (Identifiers are still removed from it.)
KEEP_TEXT = {"handoff.chatdelivery.url"}
# Keys of JSON documents in linked rows whose values are facts, not things the
# person said or is (kinds, statuses, times, scores, ids); every other string
# goes. A "url" keeps its scheme, host and path (identity.reduce_url).
KEEP_JSON_KEYS = {
    "kind", "status", "stage", "type", "claimed_via", "occurred_at", "created_at",
    "claimed_at", "decided_at", "recorded_at", "question", "source", "channel", "campaign",
    "url", "reject_reason", "rule", "dimension", "points", "scores", "fit", "engagement",
    "id", "activity_id", "lead_id", "handoff_id",
}  # fmt: skip


@dataclass
class Erasure:
    linked_rows: int = 0
    deleted_rows: int = 0
    other_rows: int = 0
    files: int = 0


@transaction.atomic
def erase_person(lead: Lead, *, by: User) -> Erasure:
    """Anonymise the person everywhere, history included, keeping the rows the
    KPIs count (leads, activities, handoffs, stage changes, deals).

    1. Rows linked to the lead: free text becomes "[erased]", JSON keeps only
       facts, addresses and browsers go, external ids are cleared; rows whose
       key names the person (website visitor ids and their page views) are
       deleted. Consents are withdrawn.
    2. Other tables: whatever mentions the person is removed (the innermost
       JSON object or list holding it); stored import files lose the
       person's rows, their rejected-rows record too.
    3. The lead becomes an anonymous placeholder, marked erased; its
       field-level change history (django-simple-history's rows, every
       earlier value of every field) is deleted, and so is that of its deals.
    4. A tombstone (keyed hash of the email and mobile number) keeps later
       captures, imports and tracking from bringing the person back.
    5. The audit trail records who erased lead #id (no personal data).
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    result = Erasure()
    if lead.is_erased:
        return result
    ids = Identifiers.of(lead)
    pattern = ids.pattern()
    now = timezone.now()
    Consent.objects.filter(lead=lead, withdrawn_at__isnull=True).update(withdrawn_at=now)
    linked = linked_rows(lead)
    doomed: dict[type[models.Model], list[Any]] = {}
    for row in linked:
        if (declaration := declared(type(row))) is not None and declaration.delete:
            doomed.setdefault(type(row), []).append(row.pk)
        else:
            result.linked_rows += _erase_linked_row(row, pattern)
    skip_rows = {(label(type(row)), row.pk) for row in linked}
    for _model, found in mentions(ids, skip_models=files.OWN_TABLES, skip_rows=skip_rows):
        result.other_rows += sum(_scrub_row(row, pattern) for row in found)
    result.files = files.erase_from_files(ids, pattern)
    for model, pks in doomed.items():
        result.deleted_rows += model._default_manager.filter(pk__in=pks).delete()[0]
    _anonymise(lead, now=now)
    # QuerySet.update() above records no history row; the earlier ones go.
    result.deleted_rows += Lead.history.filter(id=lead.pk).delete()[0]
    # Its deals stay (anonymised above, the KPIs count them); their earlier
    # versions may quote the person (a next step, a note on a loss) and go.
    result.deleted_rows += Deal.history.filter(lead_id=lead.pk).delete()[0]  # type: ignore[attr-defined]
    tombstones.bury(email=lead.email, phone=lead.phone)
    trail.record(
        trail.Action.ERASED,
        lead,
        actor=by,
        changes={
            "linked_rows": result.linked_rows,
            "deleted_rows": result.deleted_rows,
            "other_rows": result.other_rows,
            "files": result.files,
        },
    )
    return result


def _anonymise(lead: Lead, *, now: Any) -> None:
    Lead.objects.filter(pk=lead.pk).update(
        family_name=ERASED,
        given_name="",
        family_name_kana="",
        given_name_kana="",
        email=f"erased-{lead.pk}@erased.invalid",
        phone="",
        phone_digits="",
        phone_direct="",
        phone_department="",
        mobile="",
        fax="",
        other_phone_digits="",
        search_text="",
        reading_key="",
        department="",
        title="",
        prefecture="",
        address="",
        erased_at=now,
        updated_at=now,
    )


def _erase_linked_row(row: models.Model, pattern: re.Pattern[str]) -> int:
    changes: dict[str, Any] = {}
    name = label(type(row))
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if value is None or value == "" or field.primary_key or field.is_relation:
            continue
        if isinstance(field, models.GenericIPAddressField):
            changes[field.attname] = None if field.null else "0.0.0.0"  # nosec B104  # a placeholder, not a bind address
        elif isinstance(field, models.JSONField):
            changes[field.attname] = _erase_json(value, pattern)
        elif isinstance(field, models.CharField | models.TextField):
            changes[field.attname] = _erased_text(field, name, value, pattern, row)
    changes = {k: v for k, v in changes.items() if v != getattr(row, k)}
    if changes:
        type(row)._default_manager.filter(pk=row.pk).update(**changes)
    return 1 if changes else 0


def _erased_text(
    field: models.Field[Any, Any], name: str, value: str, pattern: re.Pattern[str], row: Any
) -> str | None:
    if field.choices:
        return value  # a code, never free text
    if f"{name}.{field.name}" in KEEP_TEXT:
        return pattern.sub(ERASED, value)
    if field.unique or field.name in _unique_together(type(row)):
        # An id from another system (an external id) may be the person's
        # address; the row no longer needs it to be found. Unique per row.
        return None if field.null else f"{ERASED}{row.pk}"
    # Non-empty stays non-empty: constraints may require a text (a lost
    # deal's reason), and readers see that something was erased.
    return ERASED


def _unique_together(model: type[models.Model]) -> set[str]:
    """Fields in a unique constraint: one erased value for all would collide."""
    return {
        name
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        for name in constraint.fields
    }


def _erase_json(value: Any, pattern: re.Pattern[str], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _erase_json(v, pattern, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase_json(v, pattern, key) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if key == "url":
        return reduce_url(value, pattern)
    return pattern.sub(ERASED, value) if key in KEEP_JSON_KEYS else ERASED


def _scrub_row(row: models.Model, pattern: re.Pattern[str]) -> int:
    changes: dict[str, Any] = {}
    for field in text_fields(type(row)):
        value = getattr(row, field.attname)
        if isinstance(field, models.JSONField):
            scrubbed = _scrub_json(value, pattern)
        elif isinstance(value, str):
            scrubbed = pattern.sub(ERASED, value)
        else:
            continue
        if scrubbed != value:
            changes[field.attname] = scrubbed
    if changes:
        type(row)._default_manager.filter(pk=row.pk).update(**changes)
    return 1 if changes else 0


def _scrub_json(value: Any, pattern: re.Pattern[str]) -> Any:
    """Empty every string of the innermost object or list that mentions the
    person (a message payload): its other strings are about them too.
    Numbers, and strings elsewhere, stay."""
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        if any(isinstance(v, str) and pattern.search(v) for v in items):
            return _blank_strings(value)
        if isinstance(value, dict):
            return {k: _scrub_json(v, pattern) for k, v in value.items()}
        return [_scrub_json(v, pattern) for v in value]
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    return value


def _blank_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v if not isinstance(v, str) else ERASED for k, v in value.items()}
    return [v if not isinstance(v, str) else ERASED for v in value]
