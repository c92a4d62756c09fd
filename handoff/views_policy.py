"""The handoff policy, edited by managers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from handoff import configuration, notify, routing
from handoff.forms import PolicyForm
from handoff.models import HandoffPolicy
from web.http import AuthenticatedRequest


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("handoff.change_handoffpolicy", raise_exception=True)
def policy(request: AuthenticatedRequest) -> HttpResponse:
    current = HandoffPolicy.current()
    form = PolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        configuration.update_policy(form, by=request.user)
        messages.success(request, _("Handoff policy saved."))
        return redirect("handoff:policy")
    available = {rep.pk for rep in routing.available_reps()}
    reps = [(rep, rep.pk in available) for rep in notify.sales_reps()]
    return render(
        request,
        "handoff/policy_form.html",
        {"form": form, "policy": current, "reps": reps},
    )
