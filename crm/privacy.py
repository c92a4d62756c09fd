"""Personal-data rights (APPI, GDPR): everything about a person, and erasure.

Both work from the schema instead of a hand-kept list of tables, so that a
table added later is covered without anyone remembering this module:

- *Linked rows* are every row that points at the lead, and every row that
  points at one of those (a handoff's notifications, say), found through the
  foreign keys. They are exported, and on erasure their free text is emptied:
  the rows stay (the KPIs count them), their contents go.
- *Copies elsewhere* are found by looking for the person's identifiers (email,
  phone, full name) in every text, JSON and binary column of every other table:
  outbox payloads, the stored import files and their rejected rows, Django's
  admin log. There, the part that mentions the person is removed.

The audit trail is append-only and never names people (see audit/models.py):
it is neither changed nor needs to be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from audit import trail
from crm import normalize
from crm.models import Lead

ERASED = "[erased]"
# Tables never rewritten: the append-only audit trail (it names people by id
# only) and Django's own bookkeeping.
# Staff accounts are not the subjects of these requests.
UNTOUCHED = {
    "audit.auditentry",
    "contenttypes.contenttype",
    "auth.permission",
    "auth.user",
    "sessions.session",
}
# Text columns of linked rows that hold no personal data and that code or the
# KPIs read (statuses with choices are kept anyway). Identifiers are still
# removed from them.
KEEP_TEXT = {
    "crm.stagechange.reason",
    "crm.consent.policy_version",
    "crm.activity.external_id",
    "handoff.chatdelivery.url",
}
# Keys of JSON documents in linked rows whose values are facts, not things the
# person said or is (kinds, times, scores, ids, urls); every other string goes.
KEEP_JSON_KEYS = {
    "kind", "status", "occurred_at", "created_at", "recorded_at", "question", "source",
    "channel", "campaign", "url", "reject_reason", "rule", "dimension", "points", "scores",
    "fit", "engagement", "id", "activity_id", "lead_id", "handoff_id",
}  # fmt: skip


@dataclass(frozen=True)
class Identifiers:
    """What names the person wherever it was copied."""

    strings: tuple[str, ...]

    @classmethod
    def of(cls, lead: Lead) -> Identifiers:
        found = {lead.email.strip()}
        if lead.phone.strip():
            found.add(lead.phone.strip())
        digits = normalize.phone_digits(lead.phone)
        if len(digits) >= 8:  # shorter digit runs would match unrelated numbers
            found.add(digits)
        for family, given in (
            (lead.family_name, lead.given_name),
            (lead.family_name_kana, lead.given_name_kana),
        ):
            family, given = family.strip(), given.strip()
            if family and given:
                for sep in ("", " ", "\u3000"):
                    found |= {f"{family}{sep}{given}", f"{given}{sep}{family}"}
        return cls(tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True)))

    def pattern(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(s) for s in self.strings), re.IGNORECASE)

    def as_bytes(self) -> list[bytes]:
        """How the identifiers look inside a stored file, in every encoding imports accept."""
        out = []
        for text in self.strings:
            for encoding in ("utf-8", "cp932", "utf-16-le", "utf-16-be"):
                try:
                    out.append(text.encode(encoding))
                except UnicodeEncodeError:
                    continue
        return out


# --- Finding the linked rows ----------------------------------------------------


def linked_rows(lead: Lead, *, depth: int = 2) -> Iterator[models.Model]:
    """Every row pointing at the lead, and at those rows, `depth` levels deep."""
    frontier: list[models.Model] = [lead]
    seen: set[tuple[type[models.Model], Any]] = {(Lead, lead.pk)}
    for _level in range(depth):
        nxt: list[models.Model] = []
        by_model: dict[type[models.Model], list[Any]] = {}
        for row in frontier:
            by_model.setdefault(type(row), []).append(row.pk)
        for model, pks in by_model.items():
            for relation in model._meta.related_objects:
                if not (relation.one_to_many or relation.one_to_one):
                    continue
                related = relation.related_model
                if isinstance(related, str) or _label(related) in UNTOUCHED or related is Lead:
                    continue
                field = relation.field.name
                for row in related._default_manager.filter(**{f"{field}__in": pks}).order_by("pk"):
                    if (type(row), row.pk) not in seen:
                        seen.add((type(row), row.pk))
                        nxt.append(row)
                        yield row
        frontier = nxt


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.primary_key
    ]


# --- Export -----------------------------------------------------------------------


def export_person(lead: Lead, *, by: User) -> dict[str, Any]:
    """Everything Baton holds about the person, as a JSON-ready document:
    the lead, its company, every linked row by table, and other rows that
    mention the person (such as outbox payloads). Recorded in the audit trail."""
    ids = Identifiers.of(lead)
    linked: dict[str, list[dict[str, Any]]] = {}
    for row in linked_rows(lead):
        linked.setdefault(_label(type(row)), []).append(_as_dict(row))
    mentions: dict[str, list[dict[str, Any]]] = {}
    for model, rows in _mentions(ids, exclude=set(linked) | {"crm.lead"}):
        mentions.setdefault(_label(model), []).extend(_as_dict(r) for r in rows)
    document = {
        "exported_at": timezone.now().isoformat(),
        "lead": _as_dict(lead),
        "company": _as_dict(lead.company) if lead.company else None,
        "linked": linked,
        "mentioned_in": mentions,
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


def _mentions(
    ids: Identifiers, *, exclude: set[str]
) -> Iterator[tuple[type[models.Model], list[models.Model]]]:
    """Rows of other tables whose text or JSON columns contain an identifier."""
    for model in apps.get_models():
        label = _label(model)
        if label in UNTOUCHED or label in exclude or model._meta.proxy:
            continue
        fields = _text_fields(model)
        if not fields:
            continue
        query = Q()
        annotations = {}
        for field in fields:
            column = field.name
            if isinstance(field, models.JSONField):
                column = f"_privacy_{field.name}"
                annotations[column] = Cast(field.name, TextField())
            for needle in _needles(ids):
                query |= Q(**{f"{column}__icontains": needle})
        rows = list(model._default_manager.annotate(**annotations).filter(query).order_by("pk"))
        if rows:
            yield model, rows


def _needles(ids: Identifiers) -> set[str]:
    """The identifiers as stored: JSON text on SQLite escapes non-ASCII."""
    needles = set(ids.strings)
    needles |= {json.dumps(s)[1:-1] for s in ids.strings}
    return needles


# --- Erasure -----------------------------------------------------------------------


@dataclass
class Erasure:
    linked_rows: int = 0
    other_rows: int = 0
    files: int = 0


@transaction.atomic
def erase_person(lead: Lead, *, by: User) -> Erasure:
    """Anonymise the person everywhere, history included, keeping every row
    (the KPIs count leads, activities, handoffs and stage changes).

    1. Linked rows: free text emptied, JSON strings other than facts emptied,
       addresses and user agents cleared, identifiers removed from the rest.
    2. Other tables: whatever mentions the person is removed (the innermost
       JSON object or list holding it, a stored file's lines).
    3. The lead itself becomes an anonymous placeholder.
    4. The audit trail records who erased lead #id (no personal data).
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    ids = Identifiers.of(lead)
    pattern = ids.pattern()
    result = Erasure()
    linked = list(linked_rows(lead))
    linked_labels = {_label(type(r)) for r in linked}
    for row in linked:
        result.linked_rows += _erase_linked_row(row, pattern)
    for _model, rows in _mentions(ids, exclude=linked_labels | {"crm.lead"}):
        for row in rows:
            result.other_rows += _scrub_row(row, pattern)
    result.files = _scrub_files(ids, pattern)
    Lead.objects.filter(pk=lead.pk).update(
        family_name=ERASED,
        given_name="",
        family_name_kana="",
        given_name_kana="",
        email=f"erased-{lead.pk}@erased.invalid",
        phone="",
        phone_digits="",
        search_text="",
        department="",
        title="",
        updated_at=timezone.now(),
    )
    trail.record(
        trail.Action.ERASED,
        lead,
        actor=by,
        changes={"linked_rows": result.linked_rows, "other_rows": result.other_rows},
    )
    return result


def _erase_linked_row(row: models.Model, pattern: re.Pattern[str]) -> int:
    changes: dict[str, Any] = {}
    label = _label(type(row))
    for field in row._meta.concrete_fields:
        name, value = field.attname, getattr(row, field.attname)
        if value is None or field.primary_key or field.is_relation:
            continue
        if isinstance(field, models.GenericIPAddressField):
            changes[name] = None if field.null else "0.0.0.0"  # nosec B104  # a placeholder, not a bind address
        elif isinstance(field, models.JSONField):
            changes[name] = _erase_json(value, pattern)
        elif isinstance(field, models.CharField | models.TextField):
            keep = (
                field.choices
                or f"{label}.{field.name}" in KEEP_TEXT
                or field.unique
                or field.name in _unique_together(type(row))
            )
            changes[name] = pattern.sub(ERASED, value) if keep else ""
            if changes[name] == "" and not field.blank and not field.null:
                changes[name] = ERASED
    changes = {k: v for k, v in changes.items() if v != getattr(row, k)}
    if changes:
        type(row)._default_manager.filter(pk=row.pk).update(**changes)
    return 1 if changes else 0


def _unique_together(model: type[models.Model]) -> set[str]:
    """Fields in a unique constraint: emptying them could collide with another row."""
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
    if isinstance(value, str):
        return pattern.sub(ERASED, value) if key in KEEP_JSON_KEYS else ""
    return value


def _scrub_row(row: models.Model, pattern: re.Pattern[str]) -> int:
    changes: dict[str, Any] = {}
    for field in _text_fields(type(row)):
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
    person (an imported row, a message payload): its other strings are about
    them too. Numbers, and strings elsewhere, stay."""
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


# --- Stored files --------------------------------------------------------------------


def _scrub_files(ids: Identifiers, pattern: re.Pattern[str]) -> int:
    """Binary columns (the stored import uploads): a text file loses the lines
    that mention the person; a file that cannot be edited as text (XLSX) and
    mentions them is dropped. Returns how many files changed."""
    needles = ids.as_bytes()
    changed = 0
    for model in apps.get_models():
        binary = [f for f in model._meta.concrete_fields if isinstance(f, models.BinaryField)]
        if not binary or _label(model) in UNTOUCHED:
            continue
        for field in binary:
            for pk, content in model._default_manager.values_list("pk", field.attname).iterator():
                data = bytes(content or b"")
                if not data or not _mentions_bytes(data, needles):
                    continue
                model._default_manager.filter(pk=pk).update(
                    **{field.attname: _without_person(data, pattern, needles)}
                )
                changed += 1
    return changed


def _mentions_bytes(data: bytes, needles: Iterable[bytes]) -> bool:
    lowered = data.lower()
    return any(n in data or n.lower() in lowered for n in needles)


def _without_person(data: bytes, pattern: re.Pattern[str], needles: list[bytes]) -> bytes:
    for encoding in ("utf-8-sig", "utf-16", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not pattern.search(text):
            continue  # decoded as the wrong encoding
        kept = [line for line in text.splitlines(keepends=True) if not pattern.search(line)]
        cleaned = "".join(kept).encode(encoding)
        if not _mentions_bytes(cleaned, needles):
            return cleaned
    return b""
