"""Writing to the audit trail: one INSERT per entry, no reads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from audit.context import current
from audit.models import Action, AuditEntry

__all__ = ["Action", "record"]


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
