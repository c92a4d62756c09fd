"""Moving a deal between stages (the board's cards and the deal page), and
winning, losing and reopening it. Each refusal is a message, never a 5xx."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Deal
from deals import services
from deals.forms import LoseForm, MoveForm, ReopenForm, WinForm
from deals.views import form_errors
from deals.views_board import board_fragment
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


def _changeable(request: AuthenticatedRequest, pk: int) -> Deal:
    return get_visible_or_404(
        Deal.objects.changeable_by(request.user).select_related("stage"), request.user, pk
    )


def _back(request: AuthenticatedRequest, deal: Deal) -> HttpResponse:
    """Back to the board (with its filters) or the deal page, whichever sent the form."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("deals:detail", pk=deal.pk)


@require_POST
@login_required
@permission_required("crm.change_deal", raise_exception=True)
def move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A card's "move to" (no JavaScript), its drag (SortableJS submits the
    same form through htmx) or the deal page's: as of the stage the mover saw."""
    deal = _changeable(request, pk)
    form = MoveForm(request.POST)
    notice, ok = "", False
    if not form.is_valid():
        notice = " ".join(
            e.messages[0] for errors in form.errors.as_data().values() for e in errors
        )
    else:
        try:
            moved = services.move_deal(
                deal,
                to=form.cleaned_data["stage"],
                seen=form.cleaned_data["from_stage"],
                by=request.user,
            )
        except services.DealRefused as refused:
            notice = str(refused)
        else:
            ok = True
            notice = _("“%(deal)s” moved to %(stage)s.") % {
                "deal": moved.name,
                "stage": moved.stage,
            }
    if request.htmx:
        return board_fragment(request, notice=notice, ok=ok)
    (messages.success if ok else messages.error)(request, notice)
    return _back(request, deal)


@require_POST
@login_required
@permission_required("crm.change_deal", raise_exception=True)
def win(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = _changeable(request, pk)
    form = WinForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(request, deal)
    try:
        won = services.win_deal(deal, by=request.user, **form.cleaned_data)
    except services.DealRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("“%(deal)s” is won. Congratulations!") % {"deal": won.name})
    return _back(request, deal)


@require_POST
@login_required
@permission_required("crm.change_deal", raise_exception=True)
def lose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = _changeable(request, pk)
    form = LoseForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(request, deal)
    try:
        lost = services.lose_deal(deal, by=request.user, **form.cleaned_data)
    except services.DealRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("“%(deal)s” is marked lost (%(reason)s).")
            % {"deal": lost.name, "reason": lost.lost_reason},
        )
    return _back(request, deal)


@require_POST
@login_required
@permission_required("crm.change_deal", raise_exception=True)
def reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = _changeable(request, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(request, deal)
    try:
        reopened = services.reopen_deal(deal, to=form.cleaned_data["stage"], by=request.user)
    except services.DealRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("“%(deal)s” is open again.") % {"deal": reopened.name})
    return _back(request, deal)
