"""Demo tasks for `manage.py seed_demo` (kpi), so My day has something to show."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from handoff.models import Handoff
from tasks.models import Task

TITLES = ["Call back", "Send the quote", "Book a demo", "Check the budget", "Send the case study"]
# Hours from now: two overdue, two later today (or tomorrow), four ahead.
DUE_IN_HOURS = [-26, -3, 2, 5, 27, 50, 75, 150]


def seed_tasks(reps: list[User], now: datetime, rng: random.Random) -> int:
    """Tasks on each rep's worked handoffs; returns how many."""
    tasks = []
    for rep in reps:
        handoffs = list(Handoff.objects.worked().filter(claimed_by=rep).order_by("pk")[:8])
        for handoff, hours in zip(handoffs, DUE_IN_HOURS, strict=False):
            tasks.append(
                Task(
                    title=rng.choice(TITLES),
                    due_at=now + timedelta(hours=hours),
                    assignee=rep,
                    created_by=rep,
                    handoff=handoff,
                    priority=rng.choice(Task.Priority.values),
                    reminded_at=now if hours < 0 else None,
                )
            )
    return len(Task.objects.bulk_create(tasks))
