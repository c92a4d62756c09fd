"""What My day and the team's day show, each in a fixed number of queries
(however many tasks, handoffs or deals there are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from crm.models import Deal
from handoff.models import Handoff, Notification, SlaDeadline
from tasks.models import Reminder, Task
from web.people import user_name

SHOWN = 50
# My day lists the most urgent due tasks; the rest are a link away (/tasks/).
TASKS_SHOWN = 20
LATEST = 5
BREACH_WINDOW = timedelta(days=7)


@dataclass
class RepDay:
    handoffs: list[Handoff]
    tasks: list[Task]
    overdue_count: int
    today_count: int
    deals: list[Deal]
    notifications: list[Notification]
    reminders: list[Reminder]
    now: datetime

    @property
    def more_tasks(self) -> int:
        return max(0, self.overdue_count + self.today_count - len(self.tasks))


def rep_day(user: User, *, tomorrow: datetime, month: tuple[date, date]) -> RepDay:
    """Six queries: handoffs (with their first-touch deadline), due tasks,
    their counts, deals, notifications, reminders."""
    now = timezone.now()
    due = Task.objects.open().filter(assignee=user, due_at__lt=tomorrow)
    counts = due.aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)), today=Count("pk", filter=Q(due_at__gte=now))
    )
    return RepDay(
        handoffs=list(claimed_handoffs(user)[:SHOWN]),
        tasks=list(due.with_records()[:TASKS_SHOWN]),
        overdue_count=counts["overdue"],
        today_count=counts["today"],
        deals=list(
            Deal.objects.filter(
                owner=user,
                status=Deal.Status.OPEN,
                expected_close_date__gte=month[0],
                expected_close_date__lt=month[1],
            )
            .select_related("lead")
            .order_by("expected_close_date", "pk")[:SHOWN]
        ),
        notifications=list(
            Notification.objects.filter(recipient=user).select_related("handoff__lead")[:LATEST]
        ),
        reminders=list(Reminder.objects.filter(recipient=user).select_related("task")[:LATEST]),
        now=now,
    )


def claimed_handoffs(user: User) -> Any:
    """The rep's worked handoffs, each with its open first-touch deadline
    (`first_touch_due`, None once touched), the most urgent first."""
    open_deadline = SlaDeadline.objects.filter(
        handoff=OuterRef("pk"), kind=SlaDeadline.Kind.FIRST_TOUCH, settled_at__isnull=True
    ).values("due_at")[:1]
    return (
        Handoff.objects.filter(claimed_by=user, status__in=Handoff.WORKED)
        .select_related("lead", "lead__company")
        .annotate(first_touch_due=Subquery(open_deadline))
        .order_by("first_touch_due", "claimed_at", "pk")
    )


@dataclass
class TeamDay:
    breaches: list[SlaDeadline]
    breach_count: int
    overdue_by_rep: list[dict[str, Any]]
    queued_count: int
    oldest_queued: datetime | None
    queue: list[Handoff]
    now: datetime


def team_day() -> TeamDay:
    """Five queries: recent breaches and their count, overdue tasks per rep,
    the queue's size and age, its oldest handoffs."""
    now = timezone.now()
    breaches = SlaDeadline.objects.filter(
        kind=SlaDeadline.Kind.FIRST_TOUCH, breached=True, settled_at__gte=now - BREACH_WINDOW
    )
    overdue = (
        Task.objects.open()
        .filter(due_at__lt=now)
        .values("assignee", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(count=Count("pk"), oldest=Min("due_at"))
        .order_by("-count", "assignee")
    )
    queued = Handoff.objects.filter(status=Handoff.Status.QUEUED)
    queue_stats = queued.aggregate(count=Count("pk"), oldest=Min("created_at"))
    return TeamDay(
        breaches=list(
            breaches.select_related("handoff__lead", "handoff__claimed_by").order_by("-settled_at")[
                :SHOWN
            ]
        ),
        breach_count=breaches.count(),
        overdue_by_rep=[
            {
                **row,
                "name": user_name(
                    row["assignee__first_name"],
                    row["assignee__last_name"],
                    row["assignee__username"],
                ),
            }
            for row in overdue
        ],
        queued_count=queue_stats["count"],
        oldest_queued=queue_stats["oldest"],
        queue=list(queued.select_related("lead").order_by("created_at", "pk")[:10]),
        now=now,
    )
