"""Writing to the audit trail: one INSERT per entry, no reads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from audit.context import current
from audit.models import Action, AuditEntry

__all__ = ["Action", "masked_url", "record", "record_configuration", "snapshot"]


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: object = "",
) -> AuditEntry:
    """Append one entry. `actor` defaults to the request's user, if any; the
    address and user agent come from the request being served.

    Never put a person's name, email or phone in `summary` or `changes`: name
    them by id (the trail is not rewritten when a person is erased).
    """
    origin = current.get()
    if actor is None and origin is not None:
        actor = getattr(origin.request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or obj.pk
    # Where from: a staff member's address and browser, or a login attempt's.
    # A public request's (a capture form) are the person's own, which this
    # append-only trail could never erase.
    if actor is None and action != Action.LOGIN_FAILED:
        origin = None
    return AuditEntry.objects.create(
        action=action,
        actor_id=actor.pk if actor is not None else None,
        actor_username=actor.get_username() if actor is not None else "",
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:300],
        changes=changes or {},
        ip_address=origin.ip_address if origin else None,
        user_agent=origin.user_agent if origin else "",
    )


# --- configuration changes ----------------------------------------------------------


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The fields' values as the trail keeps them (JSON: numbers as text
    without losing digits, dates and times in ISO form, a relation by id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)  # type: ignore[union-attr]
        values[name] = _plain(value)
    return values


def record_configuration(
    obj: models.Model,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    object_id: object = "",
) -> AuditEntry | None:
    """Keep a change of configuration (a policy, a rule, a webhook, a target):
    `before` is None for a creation, `after` None for a deletion; only the
    fields that differ are kept, each as [before, after]. Nothing is written
    when nothing changed. Values are codes and ids; the audit page renders
    them in the reader's language (audit/display.py)."""
    old, new = before or {}, after or {}
    changes = {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }
    if before is not None and after is not None and not changes:
        return None
    event = "created" if before is None else "deleted" if after is None else "changed"
    return record(
        Action.CONFIGURATION_CHANGED,
        obj,
        actor=actor,
        summary=event,
        changes=changes,
        object_id=object_id,
    )


def masked_url(url: str) -> str:
    """A URL as the trail may keep it: the scheme and host, not the path or
    query (an incoming-webhook URL carries its token in the path), and a
    short digest that tells two URLs of one host apart."""
    if not url:
        return ""
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{parts.scheme}://{parts.netloc}/… ({digest})"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
