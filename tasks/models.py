"""Tasks: something a person will do by a time, on a lead, a company, a deal or
a handoff; the reminders sent when one falls due; each user's calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Company, Deal, Lead
from handoff.models import Handoff

RECORD_FIELDS = ("lead", "company", "deal", "handoff")


def _one_record() -> Q:
    """Exactly one of the record fields is set."""
    condition = Q()
    for chosen in RECORD_FIELDS:
        condition |= Q(**{f"{field}__isnull": field != chosen for field in RECORD_FIELDS})
    return condition


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user: User | AnonymousUser) -> TaskQuerySet:
        """Managers see the team's tasks; everyone else the tasks assigned to
        them or that they created."""
        if not (user.is_authenticated and user.has_perm("tasks.view_task")):
            return self.none()
        if user.has_perm("tasks.view_team_tasks"):
            return self
        return self.filter(Q(assignee=user) | Q(created_by=user))

    def open(self) -> TaskQuerySet:
        return self.filter(done_at__isnull=True)

    def with_records(self) -> TaskQuerySet:
        """The record each task is on, in the same query."""
        return self.select_related(
            "assignee", "lead", "company", "deal", "handoff", "handoff__lead"
        )


class Task(models.Model):
    class Priority(models.IntegerChoices):
        # Stored as numbers so that "high first" is an ORDER BY.
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")

    title = models.CharField(_("title"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    # The record the task is on: exactly one (task_on_one_record).
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    handoff = models.ForeignKey(
        Handoff, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set by the reminder sweep when it reminded the assignee of this due
    # time; cleared when the task is moved, so the new time reminds again.
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "-priority", "pk"]
        permissions = [("view_team_tasks", "Can see every rep's tasks")]
        constraints = [
            models.CheckConstraint(condition=_one_record(), name="task_on_one_record"),
        ]
        indexes = [
            # My day and the task list: a user's open tasks by due time.
            models.Index(
                fields=["assignee", "due_at"],
                name="task_open_by_assignee_idx",
                condition=Q(done_at__isnull=True),
            ),
            # The reminder sweep: open tasks not reminded yet, by due time.
            models.Index(
                fields=["due_at"],
                name="task_to_remind_idx",
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def record(self) -> Lead | Company | Deal | Handoff | None:
        return self.lead or self.company or self.deal or self.handoff

    @property
    def record_url(self) -> str:
        if self.handoff_id:
            return reverse("handoff:detail", args=[self.handoff_id])
        if self.company_id:
            return reverse("crm:company_detail", args=[self.company_id])
        if self.deal_id:
            return reverse("deals:detail", args=[self.deal_id])
        assert self.lead is not None  # nosec B101  # narrows the type for mypy
        return self.lead.get_absolute_url()

    @property
    def record_label(self) -> str:
        if self.handoff_id:
            assert self.handoff is not None  # nosec B101  # narrows the type for mypy
            return str(self.handoff.lead)
        return str(self.record or "")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()


class Reminder(models.Model):
    """The in-app reminder of a task that fell due: one per task and due time
    (a task moved and due again reminds again); emailed once."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_reminders"
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(db_default=Now())
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the email went out: a redelivered event never sends it twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "due_at"], name="reminder_once_a_due_time"),
        ]
        indexes = [
            # My day and the notification list: a user's latest reminders.
            models.Index(fields=["recipient", "-created_at"], name="reminder_recent_idx"),
            # The notification badge: a user's unread reminders.
            models.Index(
                fields=["recipient"],
                name="reminder_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} @ {self.due_at:%Y-%m-%d %H:%M} → {self.recipient_id}"


class CalendarFeed(models.Model):
    """A user's read-only iCalendar address. Only the token's SHA-256 is
    kept; the address is shown once, when made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"
