"""A user's notifications: handoff's own (Notification) and the news of the
apps above handoff, which it cannot import (tasks: a due task's reminder).

Such an app registers a `Source` once (its AppConfig.ready); the badge, the
notification list and "Mark all as read" read every source, so each piece of
news is counted and listed once, from the one row that keeps it, read or
unread like the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from handoff.models import Notification

# The notification list's length.
LATEST = 50


@dataclass(frozen=True)
class Entry:
    """One line of the notification list: a row, and the template (a partial
    with `item`) that draws it; None for handoff's own notifications."""

    item: Any
    created_at: datetime
    template: str | None = None

    @property
    def is_unread(self) -> bool:
        return self.item.read_at is None


@dataclass(frozen=True)
class Source:
    """Another app's news: how many unread, the latest (newest first, at most
    `limit`), and marking them all read at a time."""

    unread: Callable[[User], int]
    latest: Callable[[User, int], list[Entry]]
    mark_all_read: Callable[[User, datetime], None]


_sources: list[Source] = []


def register(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def _own(user: User) -> Any:
    return Notification.objects.filter(recipient=user)


def unread_count(user: User) -> int:
    """The badge: one count per source (handoff's own uses its partial index)."""
    own = _own(user).filter(read_at__isnull=True).count()
    return own + sum(source.unread(user) for source in _sources)


def latest(user: User, limit: int = LATEST) -> list[Entry]:
    """The newest `limit` notifications of every source, newest first; one
    query per source."""
    own = _own(user).select_related(
        "handoff__lead", "handoff__lead__company", "handoff__claimed_by"
    )[:limit]
    entries = [Entry(n, n.created_at) for n in own]
    for source in _sources:
        entries += source.latest(user, limit)
    entries.sort(key=lambda entry: (entry.created_at, entry.item.pk), reverse=True)
    return entries[:limit]


def mark_all_read(user: User) -> None:
    now = timezone.now()
    _own(user).filter(read_at__isnull=True).update(read_at=now)
    for source in _sources:
        source.mark_all_read(user, now)
