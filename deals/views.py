"""A deal's pages: opening one, its page, editing, moving, winning, losing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm.models import Deal
from deals import services
from deals.forms import DealForm
from handoff.models import Handoff
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


def _form_errors(request: AuthenticatedRequest, form: DealForm) -> None:
    for errors in form.errors.as_data().values():
        messages.error(request, " ".join(e.messages[0] for e in errors))


@require_safe
@login_required
def deal_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(
        Deal.objects.select_related("stage", "lead", "company", "owner", "source_campaign"),
        request.user,
        pk,
    )
    return render(request, "deals/deal_detail.html", {"deal": deal})


@require_POST
@login_required
@permission_required("crm.add_deal", raise_exception=True)
def open_from_handoff(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The deal of the rep's qualified handoff (the handoff page's form)."""
    handoff = get_visible_or_404(Handoff, request.user, pk)
    form = DealForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("handoff:detail", pk=pk)
    try:
        deal = services.open_deal_from_handoff(handoff, rep=request.user, terms=form.terms())
    except services.DealRefused as refused:
        messages.error(request, str(refused))
        return redirect("handoff:detail", pk=pk)
    if deal is None:
        messages.error(request, _("Qualify the lead before opening a deal."))
    else:
        messages.success(request, _("Deal “%(deal)s” opened.") % {"deal": deal.name})
    return redirect("handoff:detail", pk=pk)
