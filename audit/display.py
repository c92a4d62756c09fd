"""The audit trail in the reader's language.

Entries keep codes and ids (`status: ["queued", "claimed"]`, `owner: [2, 3]`,
a reject reason `bad_timing`), so that they never have to be rewritten. Here
they become sentences a manager reads: each field by its label, each code by
the label of the choice it belongs to, each user by name. The labels come
from the models' own metadata (fields, choices, verbose names), so this module
needs to know none of the apps above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import OBJECT_TYPES, Action, AuditEntry
from web.people import person

# Keys of `changes` that name a user by id.
USER_KEYS = frozenset({"owner", "claimed_by", "created_by", "rep", "last_assigned_rep"})
# Keys that name a lead by id.
LEAD_KEYS = frozenset({"lead", "merged"})
# Keys that are not a field of the entry's model under the same name.
ALIASES = {"via": "claimed_via"}
# Keys that were fields once and are kept in older entries: a scoring rule's
# single name, before it had a Japanese and an English one.
FORMER_FIELDS = {"name": gettext_lazy("Name")}
# Keys no model field explains.
KEY_LABELS = {
    "status": gettext_lazy("Status"),
    "owner": gettext_lazy("Owner"),
    "lead": gettext_lazy("Lead"),
    "filters": gettext_lazy("Filters"),
    "rows": gettext_lazy("Rows"),
    "merged": gettext_lazy("Merged lead"),
    "filled": gettext_lazy("Fields filled in"),
    "linked_rows": gettext_lazy("Rows linked to the person"),
    "other_rows": gettext_lazy("Other rows mentioning the person"),
    "username": gettext_lazy("Username"),
    # Bulk actions on the lead list (crm/bulk.py).
    "ids": gettext_lazy("Leads (ids)"),
    "count": gettext_lazy("Leads"),
    "changed": gettext_lazy("Leads changed"),
    "stage": gettext_lazy("Stage"),
    "reason": gettext_lazy("Reason"),
    "campaign": gettext_lazy("Campaign"),
    "all_matching": gettext_lazy("All the leads matching the filter"),
}
# Summaries that are codes or fixed phrases, as the services write them.
SUMMARIES = {
    "created": gettext_lazy("Added"),
    "changed": gettext_lazy("Changed"),
    "deleted": gettext_lazy("Deleted"),
    "secret replaced": gettext_lazy("A new signing secret replaced the old one"),
    "reassigned": gettext_lazy("Reassigned by a manager"),
    "claim timed out": gettext_lazy("The claim timed out: nobody touched the lead in time"),
    "rejected rows": gettext_lazy("The file of rejected rows"),
    "score crossed the handoff threshold": gettext_lazy("The score crossed the handoff threshold"),
    "score fell below the handoff threshold": gettext_lazy(
        "The score fell below the handoff threshold"
    ),
    "accepted by sales": gettext_lazy("Accepted by sales"),
    "qualified by sales": gettext_lazy("Qualified by sales"),
    "deal opened": gettext_lazy("A deal was opened"),
    "deal won": gettext_lazy("The deal was won"),
    "capture": gettext_lazy("Captured through a form"),
    "api": gettext_lazy("Recorded through the API"),
    "demo": gettext_lazy("Demo data"),
    "bulk assign": gettext_lazy("Bulk action: owner assigned"),
    "bulk stage": gettext_lazy("Bulk action: stage changed"),
    "bulk campaign": gettext_lazy("Bulk action: added to a campaign"),
}
# "rejected: <reason code>", as a rejection's stage change is written.
PREFIXES = {"rejected": gettext_lazy("Rejected by sales: %(reason)s")}


@dataclass(frozen=True)
class Line:
    label: str
    text: str


@dataclass(frozen=True)
class Presented:
    entry: AuditEntry
    about: str
    summary: str
    lines: list[Line]
    # Who did it, named as every page names a person (web/people.py); the
    # login kept in the entry when the user is gone.
    actor: str = ""


def present(entries: Iterable[AuditEntry]) -> list[Presented]:
    """The entries as the audit page shows them; one query for the users they name."""
    entries = list(entries)
    users = _users(entries)
    return [
        Presented(
            entry=entry,
            actor=users.get(entry.actor_id or 0, entry.actor_username),
            about=about(entry),
            summary=_summary(entry),
            lines=[
                Line(_label(entry, key), _value(entry, key, value, users))
                for key, value in entry.changes.items()
                if key != "username"  # a failed login's username is the entry's user column
            ],
        )
        for entry in entries
    ]


def about(entry: AuditEntry) -> str:
    kind = OBJECT_TYPES.get(entry.object_type, entry.object_type)
    return (
        _("%(kind)s #%(id)s") % {"kind": kind, "id": entry.object_id}
        if entry.object_id
        else str(kind)
    )


@cache
def _model(object_type: str) -> type[models.Model] | None:
    """The model an entry is about ("leads", an export, reads as "lead")."""
    for name in (object_type, object_type.removesuffix("s")):
        for model in apps.get_models():
            if model._meta.model_name == name:
                return model
    return None


def _field(entry: AuditEntry, key: str) -> models.Field[Any, Any] | None:
    model = _model(entry.object_type)
    if model is None:
        return None
    try:
        field = model._meta.get_field(ALIASES.get(key, key))
    except Exception:  # FieldDoesNotExist: a key of its own, such as "owner"
        return None
    return field if isinstance(field, models.Field) else None


def _field_label(model: type[models.Model] | None, name: str) -> str:
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
    except Exception:  # not a field (any more)
        return name


def _label(entry: AuditEntry, key: str) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    field = _field(entry, key)
    if field is not None:
        return str(capfirst(field.verbose_name))
    if key in FORMER_FIELDS:
        return str(FORMER_FIELDS[key])
    return key.replace("_", " ")


@cache
def _all_codes() -> dict[str, str]:
    """Every choice of every model field, code → label (for codes written
    outside a field of their own, such as a reject reason in a summary)."""
    codes: dict[str, Any] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for code, label in getattr(field, "flatchoices", None) or ():
                if isinstance(code, str) and code:
                    codes.setdefault(code, label)
    return codes


def _code(code: str, field: models.Field[Any, Any] | None = None) -> str:
    if field is not None and field.choices:
        own = dict(field.flatchoices)
        if code in own:
            return str(own[code])
    return str(_all_codes().get(code, code))


def reason_text(text: str) -> str:
    """A reason or summary as the services write it (a code, a fixed phrase,
    "rejected: <code>"), worded in the current language; other text as it is.
    The lead page's stage history reads its reasons through this too."""
    if text in SUMMARIES:
        return str(SUMMARIES[text])
    prefix, _sep, code = text.partition(": ")
    if prefix in PREFIXES and code:
        return str(PREFIXES[prefix]) % {"reason": _code(code)}
    return _code(text)


def _summary(entry: AuditEntry) -> str:
    text = entry.summary
    if not text:
        return ""
    if text not in SUMMARIES and text.partition(": ")[0] not in PREFIXES:
        model = _model(entry.object_type)
        for field in model._meta.get_fields() if model else ():
            if (
                isinstance(field, models.Field)
                and field.choices
                and text in dict(field.flatchoices)
            ):
                return _code(text, field)
    return reason_text(text)


def _users(entries: Sequence[AuditEntry]) -> dict[int, str]:
    ids: set[int] = set()
    for entry in entries:
        if entry.actor_id:
            ids.add(entry.actor_id)
        for key, value in entry.changes.items():
            if _is_user_key(entry, key):
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                        ids.add(int(v))
    if not ids:
        return {}
    return {user.pk: person(user) for user in get_user_model().objects.filter(pk__in=ids)}


def _is_user_key(entry: AuditEntry, key: str) -> bool:
    if key in USER_KEYS:
        return True
    field = _field(entry, key)
    return field is not None and field.is_relation and field.related_model is get_user_model()


def _value(entry: AuditEntry, key: str, value: Any, users: dict[int, str]) -> str:
    # A pair is [before, after]; "filled" is a plain list of field names.
    if isinstance(value, list) and len(value) == 2 and key != "filled":
        before, after = (_one(entry, key, v, users) for v in value)
        # What was added or deleted reads as it was, not as a change from nothing.
        if entry.action == Action.CONFIGURATION_CHANGED and entry.summary == "created":
            return after
        if entry.action == Action.CONFIGURATION_CHANGED and entry.summary == "deleted":
            return before
        return f"{before} → {after}"
    return _one(entry, key, value, users)


def _one(entry: AuditEntry, key: str, value: Any, users: dict[int, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key == "filled" and isinstance(value, list):
        lead = _model("lead")
        return ", ".join(_field_label(lead, str(v)) for v in value)
    if isinstance(value, list):
        return ", ".join(_one(entry, key, v, users) for v in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{_label(entry, k)}: {_one(entry, k, v, users)}" for k, v in value.items()
        )
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if _is_user_key(entry, key) and str(value).isdigit():
        return users.get(int(value), _("User #%(id)s") % {"id": value})
    field = _field(entry, key)
    if key in LEAD_KEYS:
        return _("Lead #%(id)s") % {"id": value}
    if field is not None and field.is_relation and isinstance(field.related_model, type):
        return f"{capfirst(field.related_model._meta.verbose_name)} #{value}"
    if isinstance(value, str):
        return _text(value, field)
    if isinstance(value, int | float):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def _text(value: str, field: models.Field[Any, Any] | None) -> str:
    if (field is not None and field.choices) or value in _all_codes():
        return _code(value, field)
    if isinstance(field, models.DecimalField | models.IntegerField | models.FloatField):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        # 30.00 reads "30", never "3E+1".
        if number == number.to_integral_value():
            number = number.quantize(Decimal(1))
        return formats.number_format(number, force_grouping=True)
    if isinstance(field, models.DateTimeField):
        return formats.date_format(datetime.fromisoformat(value), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    if isinstance(field, models.TimeField):
        return formats.time_format(time.fromisoformat(value), "TIME_FORMAT")
    return value
