"""My day (a rep's home), the team's day (a manager's home) and the calendar feed."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import language_of
from tasks import day, feed
from tasks.views import day_bounds
from web.http import AuthenticatedRequest


@require_safe
@login_required
@permission_required("tasks.view_task", raise_exception=True)
def my_day(request: AuthenticatedRequest) -> HttpResponse:
    """What a rep does today: claimed handoffs with their SLA, tasks due today
    and overdue, deals closing this month, the latest notifications. The
    number of queries does not grow with the data."""
    _start, tomorrow = day_bounds()
    today = timezone.localdate()
    return render(
        request,
        "tasks/my_day.html",
        {"day": day.rep_day(request.user, tomorrow=tomorrow, month=_month(today))},
    )


def _month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following


@require_safe
@login_required
@permission_required("tasks.view_team_tasks", raise_exception=True)
def team_day(request: AuthenticatedRequest) -> HttpResponse:
    """The manager's home: SLA breaches, overdue tasks per rep, the queue's age."""
    return render(request, "tasks/team_day.html", {"team": day.team_day()})


@require_safe
def calendar_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    """The iCalendar feed (no session: calendar apps fetch it with the address alone)."""
    user = feed.owner(user_id, token)
    if user is None:
        raise Http404
    response = HttpResponse(
        feed.calendar_in_language(user, language_of(user)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@login_required
@permission_required("tasks.view_task", raise_exception=True)
def calendar_issue(request: AuthenticatedRequest) -> HttpResponse:
    """A new feed address (the old one stops working), shown once."""
    token = feed.issue(request.user)
    return render(
        request, "tasks/calendar_issued.html", {"url": feed.feed_url(request.user, token)}
    )


@require_POST
@login_required
@permission_required("tasks.view_task", raise_exception=True)
def calendar_revoke(request: AuthenticatedRequest) -> HttpResponse:
    if feed.revoke(request.user):
        messages.success(request, _("Calendar feed turned off: its address no longer works."))
    return redirect("tasks:list")
