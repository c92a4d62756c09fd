"""Telling people about handoffs: in the app, and (as the policy says) by email
and on the team's chat.

`send` is the one entry point: it records one in-app notification per
recipient (at most one per recipient, handoff and kind, so a retried task adds
nothing) and returns the rows it created.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from handoff.models import Handoff, Notification


def sales_reps() -> list[User]:
    """Active users who may claim handoffs (superusers excluded: they are not reps)."""
    user_model = get_user_model()
    return list(
        user_model.objects.with_perm("handoff.claim_handoff", include_superusers=False).filter(
            is_active=True
        )
    )


def managers() -> list[User]:
    """Active users who oversee handoffs (they may reassign them)."""
    user_model = get_user_model()
    return list(
        user_model.objects.with_perm("handoff.reassign_handoff", include_superusers=False).filter(
            is_active=True
        )
    )


def send(handoff: Handoff, kind: str, recipients: Iterable[User]) -> list[Notification]:
    """Notify each recipient once of `kind` about `handoff`."""
    rows = [Notification(recipient=user, handoff=handoff, kind=kind) for user in recipients]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return rows
