"""Each user's read-only iCalendar feed: their open tasks and the first-touch
SLA deadlines of the handoffs they work, for Google Calendar or Outlook.

The address carries the user's id and a secret token. Only the token's
SHA-256 is stored; it is compared in constant time, and a wrong token, a
revoked feed and an unknown user all answer the same 404.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from handoff.models import Handoff, SlaDeadline
from handoff.notify import absolute_url
from tasks.models import CalendarFeed, Task

# Compared against when there is no feed, so that a missing feed takes the
# time a wrong token does.
_NO_FEED = hashlib.sha256(b"no feed").hexdigest()
EVENT_LENGTH = timedelta(minutes=15)
FEED_TASKS = 1000


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> str:
    """A new token for the user's feed (the old address stops working).
    Returned once: only its digest is kept."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": _digest(token), "created_at": timezone.now()}
    )
    return token


def revoke(user: User) -> bool:
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def feed_url(user: User, token: str) -> str:
    return absolute_url(reverse("tasks:calendar_feed", args=[user.pk, token]))


def owner(user_id: int, token: str) -> User | None:
    """The user whose feed this token opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )
    expected = feed.token_hash if feed else _NO_FEED
    if hmac.compare_digest(_digest(token), expected) and feed is not None:
        return feed.user
    return None


def calendar(user: User) -> bytes:
    """The feed's iCalendar text (in the site's language)."""
    cal = Calendar()
    cal.add("prodid", "-//Baton CRM//tasks//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Baton tasks"))
    stamp = timezone.now()
    tasks = Task.objects.open().filter(assignee=user).with_records()[:FEED_TASKS]
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@baton")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + EVENT_LENGTH)
        event.add("summary", task.title)
        event.add("description", f"{task.record_label}\n{task.notes}".strip())
        event.add("url", absolute_url(task.record_url))
        cal.add_component(event)
    deadlines = SlaDeadline.objects.filter(
        kind=SlaDeadline.Kind.FIRST_TOUCH,
        settled_at__isnull=True,
        handoff__claimed_by=user,
        handoff__status__in=Handoff.WORKED,
    ).select_related("handoff__lead")
    for deadline in deadlines:
        event = Event()
        event.add("uid", f"sla-{deadline.pk}@baton")
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.due_at)
        event.add("dtend", deadline.due_at + EVENT_LENGTH)
        event.add("summary", _("First touch due: %(lead)s") % {"lead": deadline.handoff.lead})
        event.add("url", absolute_url(reverse("handoff:detail", args=[deadline.handoff_id])))
        cal.add_component(event)
    return bytes(cal.to_ical())


def calendar_in_language(user: User, language: str) -> bytes:
    with translation.override(language):
        return calendar(user)
