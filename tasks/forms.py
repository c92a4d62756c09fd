from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.widgets import QuickSelect
from tasks.models import Task
from tasks.services import TaskDetails
from web.people import person, user_name

DUE_FORMAT = "%Y-%m-%dT%H:%M"


def assignable_users(user: User) -> QuerySet[User]:
    """Whom `user` may give a task: any active user who works tasks (reps and
    managers hand tasks to each other), and themselves."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk=user.pk) | Q(groups__permissions__in=_add_task_permission()))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _add_task_permission() -> QuerySet[Permission]:
    return Permission.objects.filter(codename="add_task", content_type__app_label="tasks")


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"),
        input_formats=[DUE_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DUE_FORMAT),
        error_messages={"invalid": _("Enter the date and time it is due.")},
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=get_user_model().objects.none(),
        # Named as every page names people, read as values (crm/widgets.py).
        widget=QuickSelect(
            attrs={"class": "form-select form-select-sm"},
            label_fields=("first_name", "last_name", "username"),
            label=user_name,
        ),
        error_messages={"invalid_choice": _("Choose someone on the team.")},
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.queryset = assignable_users(user)
        field.label_from_instance = person
        if not self.is_bound and "assignee" not in self.initial:
            self.initial["assignee"] = user.pk

    def details(self) -> TaskDetails:
        data = self.cleaned_data
        return TaskDetails(
            title=data["title"],
            due_at=data["due_at"],
            assignee=data["assignee"],
            priority=data["priority"],
            notes=data["notes"],
        )

    @classmethod
    def for_task(cls, task: Task, *, user: User, data: Any = None) -> TaskForm:
        initial = {
            "title": task.title,
            "due_at": task.due_at,
            "assignee": task.assignee_id,
            "priority": task.priority,
            "notes": task.notes,
        }
        return cls(data, user=user, initial=initial)
