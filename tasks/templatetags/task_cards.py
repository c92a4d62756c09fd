"""The Tasks card on a record's page (lead, company, deal, handoff): its tasks
the reader may see, and a small form to add one."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from crm.models import Company, Deal, Lead
from handoff.models import Handoff
from tasks.forms import TaskForm
from tasks.models import Task
from tasks.services import follow_up_due, record_field

register = template.Library()
SHOWN = 20


@register.inclusion_tag("tasks/_record_tasks.html", takes_context=True)
def record_tasks(
    context: template.Context, record: Lead | Company | Deal | Handoff
) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    field = record_field(record)
    tasks = (
        Task.objects.visible_to(user)
        .filter(**{field: record})
        .select_related("assignee")
        .order_by("done_at", "due_at", "pk")[:SHOWN]
        if user.has_perm("tasks.view_task")
        else []
    )
    can_add = user.has_perm("tasks.add_task")
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "kind": field,
        "record": record,
        "now": timezone.now(),
        "tasks": list(tasks),
        "form": TaskForm(
            user=user, initial={"due_at": follow_up_due(1)}, auto_id=f"task-{field}-%s"
        )
        if can_add
        else None,
    }
