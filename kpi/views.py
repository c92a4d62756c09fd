from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kpi import display, export, metrics, services
from kpi.definitions import DEFINITIONS, TABLE_DEFINITIONS
from kpi.forms import DashboardForm, PeriodForm, TargetForm
from kpi.metrics import Filters
from kpi.models import Target
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


def chart_data(board: metrics.Dashboard) -> dict[str, Any]:
    """What the charts draw; the tables beside them show the same numbers."""
    return {
        "labels": [point.day.isoformat() for point in board.daily],
        "leads": [point.leads for point in board.daily],
        "mqls": [point.mqls for point in board.daily],
        "sqls": [point.sqls for point in board.daily],
        "won": [point.won for point in board.daily],
        "funnel": [step.count for step in board.cohort],
    }


@require_safe
@login_required
@permission_required("kpi.view_dashboard", raise_exception=True)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    board = metrics.dashboard(form.period(), form.filters())
    context = {
        "form": form,
        "board": board,
        "page": display.page(board),  # every figure formatted once, for printing
        "period": board.period,
        "chart": chart_data(board),
        "tables": TABLE_DEFINITIONS,
        "can_set_targets": request.user.has_perm("kpi.change_target"),
        "refreshed_at": metrics.refreshed_at(),
        "refresh_minutes": refresh_minutes(),
    }
    return render(request, "kpi/dashboard.html", context)


def refresh_minutes() -> int:
    """How often beat refreshes the rollups (the dashboard says so)."""
    every = cast(timedelta, settings.CELERY_BEAT_SCHEDULE["refresh-kpi-rollups"]["schedule"])
    return max(1, round(every.total_seconds() / 60))


@require_safe
@login_required
@permission_required("kpi.view_dashboard", raise_exception=True)
def dashboard_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The page's figures as CSV (UTF-8 with BOM, formulas neutralised)."""
    form = DashboardForm(request.GET or None)
    board = metrics.dashboard(form.period(), form.filters())
    response = HttpResponse(export.dashboard_csv(board), content_type="text/csv; charset=utf-8")
    name = f"kpis-{board.period.start:%Y%m%d}-{board.period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
@login_required
def definitions(request: AuthenticatedRequest) -> HttpResponse:
    """Every KPI's agreed definition, for both teams (and reps reading their own)."""
    if not request.user.has_perm("kpi.view_dashboard") and not request.user.has_perm(
        "kpi.view_own_kpis"
    ):
        raise PermissionDenied
    context = {"definitions": DEFINITIONS.values(), "tables": TABLE_DEFINITIONS.values()}
    return render(request, "kpi/definitions.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("kpi.change_target", raise_exception=True)
def targets(request: AuthenticatedRequest) -> HttpResponse:
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = services.set_target(**form.cleaned_data, by=request.user)
        definition = DEFINITIONS[target.kpi]
        messages.success(
            request,
            _("Target saved: %(kpi)s, %(value)s.")
            % {"kpi": definition.name, "value": display.value_text(target.value, definition.unit)},
        )
        return redirect("kpi:targets")
    status = 400 if request.method == "POST" else 200
    rows = [(t, DEFINITIONS.get(t.kpi)) for t in Target.objects.all()[:200]]
    return render(request, "kpi/targets.html", {"form": form, "rows": rows}, status=status)


@require_POST
@login_required
@permission_required("kpi.change_target", raise_exception=True)
def target_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    target = get_visible_or_404(Target, request.user, pk)
    definition = DEFINITIONS.get(target.kpi)
    services.delete_target(target, by=request.user)
    messages.success(
        request,
        _("Target deleted: %(kpi)s, %(month)s.")
        % {
            "kpi": definition.name if definition else target.kpi,
            "month": date_format(target.month, "YEAR_MONTH_FORMAT"),
        },
    )
    return redirect("kpi:targets")


@require_safe
@login_required
@permission_required("kpi.view_own_kpis", raise_exception=True)
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """A rep's own row of the per-rep table: their claims, speed, accepted,
    rejected and won, nobody else's."""
    form = PeriodForm(request.GET or None)
    board = metrics.dashboard(form.period(), Filters(rep=request.user.pk))
    row = next((r for r in board.reps if r.rep_id == request.user.pk), None)
    return render(request, "kpi/mine.html", {"form": form, "period": board.period, "row": row})


@require_safe
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Send each role to where its work starts."""
    user = request.user
    if user.has_perm("handoff.claim_handoff") and user.has_perm("tasks.view_task"):
        return redirect("tasks:my_day")  # My day: claimed leads, tasks, deals, news
    if user.has_perm("handoff.claim_handoff"):
        return redirect("handoff:queue")
    if user.has_perm("tasks.view_team_tasks") and not user.has_perm("crm.add_campaign"):
        return redirect("tasks:team_day")  # the team: breaches, overdue tasks, the queue
    if user.has_perm("kpi.view_dashboard") and not user.has_perm("crm.add_campaign"):
        return redirect("kpi:dashboard")
    if user.has_perm("crm.view_campaign"):
        return redirect("crm:campaign_list")
    return render(request, "home_empty.html")
