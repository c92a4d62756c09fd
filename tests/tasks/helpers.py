"""Builders shared by the tasks tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from crm.models import Lead
from tasks import services
from tasks.models import Task
from tests import factories


def task_on(
    record: object | None = None,
    *,
    assignee: User,
    due_at: datetime | None = None,
    title: str = "Call back",
    by: User | None = None,
) -> Task:
    """A task on `record` (a new lead by default), due in an hour by default."""
    target = record if record is not None else factories.lead()
    details = services.TaskDetails(
        title=title,
        due_at=due_at or timezone.now() + timedelta(hours=1),
        assignee=assignee,
    )
    return services.create_task(target, details, by=by or assignee)  # type: ignore[arg-type]


def owned_lead(owner: User) -> Lead:
    return factories.lead(owner=owner)
