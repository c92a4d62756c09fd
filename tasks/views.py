"""Tasks: a user's list, adding one on a record, changing, completing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm.models import Company, Deal, Lead
from handoff.models import Handoff
from tasks import services
from tasks.forms import TaskForm
from tasks.models import CalendarFeed, Task
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

RECORDS: dict[str, type[Model]] = {
    "lead": Lead,
    "company": Company,
    "deal": Deal,
    "handoff": Handoff,
}
DONE_SHOWN = 30
UPCOMING_SHOWN = 100


def day_bounds() -> tuple[datetime, datetime]:
    """The start of today and of tomorrow, in the site's time zone."""
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(today, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


@require_safe
@login_required
@permission_required("tasks.view_task", raise_exception=True)
def task_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own tasks: overdue, today, upcoming and recently done."""
    now = timezone.now()
    _start, tomorrow = day_bounds()
    mine = Task.objects.filter(assignee=request.user).with_records()
    open_tasks = mine.open()
    return render(
        request,
        "tasks/task_list.html",
        {
            "overdue": list(open_tasks.filter(due_at__lt=now)),
            "today": list(open_tasks.filter(due_at__gte=now, due_at__lt=tomorrow)),
            "upcoming": list(open_tasks.filter(due_at__gte=tomorrow)[:UPCOMING_SHOWN]),
            "done": list(mine.filter(done_at__isnull=False).order_by("-done_at")[:DONE_SHOWN]),
            "feed": CalendarFeed.objects.filter(user=request.user).first(),
            "now": now,
        },
    )


def _record(request: AuthenticatedRequest, kind: str, pk: int) -> Model:
    model = RECORDS.get(kind)
    if model is None:
        raise Http404
    return get_visible_or_404(model, request.user, pk)


@require_POST
@login_required
@permission_required("tasks.add_task", raise_exception=True)
def add_task(request: AuthenticatedRequest, kind: str, pk: int) -> HttpResponse:
    """A task on a record the user may see, from the record page's Tasks card."""
    record = _record(request, kind, pk)
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        task = services.create_task(record, form.details(), by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
    return _back(request, fallback=_record_url(kind, record))


def _record_url(kind: str, record: Model) -> str:
    if kind == "handoff":
        return reverse("handoff:detail", args=[record.pk])
    if kind == "deal":
        return str(record.lead.get_absolute_url())  # type: ignore[attr-defined]
    return str(record.get_absolute_url())  # type: ignore[attr-defined]


def _back(request: AuthenticatedRequest, *, fallback: str) -> HttpResponse:
    """Back to the page the form was on (a local `next`), else `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@require_POST
@login_required
@permission_required("tasks.change_task", raise_exception=True)
def complete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(Task, request.user, pk)
    if services.complete_task(task, by=request.user):
        messages.success(request, _("Done: %(title)s.") % {"title": task.title})
    return _back(request, fallback=task.record_url)


@require_POST
@login_required
@permission_required("tasks.change_task", raise_exception=True)
def reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(Task, request.user, pk)
    if services.reopen_task(task):
        messages.info(request, _("Reopened: %(title)s.") % {"title": task.title})
    return _back(request, fallback=task.record_url)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("tasks.change_task", raise_exception=True)
def edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a task (a new due time is reminded again)."""
    task = get_visible_or_404(Task.objects.with_records(), request.user, pk)
    form = TaskForm.for_task(
        task, user=request.user, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        services.update_task(task, form.details())
        messages.success(request, _("Task saved."))
        return redirect("tasks:list")
    return render(request, "tasks/task_form.html", {"task": task, "form": form})
