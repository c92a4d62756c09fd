"""Deciding on what captures proposed for a known lead (crm/proposals.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import proposals
from crm.models import Lead
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


@require_POST
@login_required
@permission_required("crm.change_lead", raise_exception=True)
def proposed_change_decide(request: AuthenticatedRequest, pk: int, change_pk: int) -> HttpResponse:
    """Apply or dismiss one proposal; a lead the user may not change is a 404."""
    lead = get_visible_or_404(Lead.objects.changeable_by(request.user), request.user, pk)
    change = lead.proposed_changes.filter(pk=change_pk).first()
    if change is None:
        raise Http404
    label = change.get_field_display()
    if request.POST.get("decision") == "apply":
        done = proposals.apply_change(change, by=request.user)
        message = _("%(field)s updated.") % {"field": label}
    else:
        done = proposals.dismiss_change(change, by=request.user)
        message = _("The proposed %(field)s was dismissed.") % {"field": label}
    if done:
        messages.success(request, message)
    else:
        messages.info(request, _("Someone decided on this proposal already."))
    return redirect(lead)
