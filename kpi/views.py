from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from crm.http import AuthenticatedRequest
from kpi import metrics
from kpi.forms import PeriodForm


@login_required
@permission_required("kpi.view_dashboard", raise_exception=True)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    period = form.period()
    flow = metrics.lead_flow(period)
    daily = metrics.daily_flow(period)
    chart = {
        "labels": [point.day.isoformat() for point in daily],
        "leads": [point.leads for point in daily],
        "mqls": [point.mqls for point in daily],
    }
    figures = [
        (metrics.DEFINITIONS[key], getattr(flow, key)) for key in ("leads", "mqls", "claimed")
    ]
    context = {"form": form, "period": period, "figures": figures, "daily": daily, "chart": chart}
    return render(request, "kpi/dashboard.html", context)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Send each role to where its work starts."""
    user = request.user
    if user.has_perm("handoff.claim_handoff"):
        return redirect("handoff:queue")
    if user.has_perm("kpi.view_dashboard"):
        return redirect("kpi:dashboard")
    if user.has_perm("crm.view_campaign"):
        return redirect("crm:campaign_list")
    return render(request, "home_empty.html")
