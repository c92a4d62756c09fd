"""Tasks: created, moved, completed; follow-ups offered by the sales work.

Every change of a task goes through here, so that a moved task is reminded
again at its new time and a completed one never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from crm.models import Company, Deal, Lead
from handoff.business_hours import BusinessHours
from handoff.models import Handoff, HandoffPolicy
from tasks.models import Reminder, Task

Record = Lead | Company | Deal | Handoff
# The longest follow-up the forms offer, in business days.
MAX_FOLLOW_UP_DAYS = 60


@dataclass(frozen=True)
class TaskDetails:
    title: str
    due_at: datetime
    assignee: User
    priority: int = Task.Priority.NORMAL
    notes: str = ""


def record_field(record: Record) -> str:
    """The Task field that points at `record`."""
    for field, model in (
        ("lead", Lead),
        ("company", Company),
        ("deal", Deal),
        ("handoff", Handoff),
    ):
        if isinstance(record, model):
            return field
    raise TypeError(f"a task cannot be on a {type(record).__name__}")


def create_task(record: Record, details: TaskDetails, *, by: User) -> Task:
    return Task.objects.create(
        **{record_field(record): record},
        title=details.title,
        due_at=details.due_at,
        assignee=details.assignee,
        priority=details.priority,
        notes=details.notes,
        created_by=by,
    )


@transaction.atomic
def update_task(task: Task, details: TaskDetails) -> Task:
    """Change a task's details. A new due time (or assignee) starts its
    reminder afresh: the reminder of the old time, sent or not, is over."""
    locked = Task.objects.select_for_update().get(pk=task.pk)
    moved = locked.due_at != details.due_at or locked.assignee_id != details.assignee.pk
    locked.title = details.title
    locked.due_at = details.due_at
    locked.assignee = details.assignee
    locked.priority = details.priority
    locked.notes = details.notes
    fields = ["title", "due_at", "assignee", "priority", "notes"]
    if moved:
        locked.reminded_at = None
        fields.append("reminded_at")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def complete_task(task: Task, *, by: User) -> bool:
    """Mark the task done (once: False when it was done already). The
    reminder sweep never takes a done task, so nothing is sent after this,
    and the reminders already in the notification list are read: the work
    they asked for is done."""
    done = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=Now(), done_by=by)
    if done:
        Reminder.objects.filter(task=task, read_at__isnull=True).update(read_at=Now())
    task.refresh_from_db(fields=["done_at", "done_by"])
    return bool(done)


def reopen_task(task: Task) -> bool:
    """Undo a completion. A task whose time has passed meanwhile is not
    reminded again for that time (reminded_at stays as it was)."""
    reopened = Task.objects.filter(pk=task.pk, done_at__isnull=False).update(
        done_at=None, done_by=None
    )
    task.refresh_from_db(fields=["done_at", "done_by"])
    return bool(reopened)


# --- Follow-ups ---------------------------------------------------------------


def business_hours() -> BusinessHours:
    return HandoffPolicy.current().business_hours()


def follow_up_due(days: int, *, start: datetime | None = None) -> datetime:
    """`days` business days after `start` (now), at the same time of day,
    brought within opening hours (to the opening, or the last hour before
    closing). The calendar is the handoff policy's (holidays, closures)."""
    hours = business_hours()
    local = (start or timezone.now()).astimezone(hours.tz)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if hours.is_business_day(day):
            counted += 1
    return datetime.combine(day, _within_hours(local.time(), hours), tzinfo=hours.tz)


def _within_hours(moment: time, hours: BusinessHours) -> time:
    if moment < hours.day_start:
        return hours.day_start
    last = (datetime.combine(date.min, hours.day_end) - timedelta(hours=1)).time()
    return min(moment.replace(second=0, microsecond=0), max(last, hours.day_start))


def follow_up(
    record: Record, *, title: str, days: int, by: User, start: datetime | None = None
) -> Task:
    """The follow-up a rep asked for while logging a touch or accepting a
    handoff: theirs, due in `days` business days."""
    days = max(0, min(days, MAX_FOLLOW_UP_DAYS))
    details = TaskDetails(title=title, due_at=follow_up_due(days, start=start), assignee=by)
    return create_task(record, details, by=by)
