from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from handoff import inbox, routing, services, signals
from handoff.forms import NextStepForm, RejectForm
from handoff.models import Handoff
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

QUEUE_PAGE = 25


@require_safe
@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """Reps: the queue and their claims. Managers: the queue and every lead
    being worked, to reassign."""
    overseer = request.user.has_perm("handoff.reassign_handoff")
    if not (overseer or request.user.has_perm("handoff.claim_handoff")):
        raise PermissionDenied
    handoffs = Handoff.objects.visible_to(request.user).for_queue()
    in_progress = handoffs.worked().order_by("claimed_at", "pk")
    context = {
        # Pages of QUEUE_PAGE: a manager's view of every lead being worked
        # grows with the team, and the queue with marketing's success.
        "queued": Paginator(handoffs.queued(), QUEUE_PAGE).get_page(request.GET.get("page")),
        "mine": handoffs.filter(claimed_by=request.user, status=Handoff.Status.CLAIMED),
        "in_progress": Paginator(in_progress, QUEUE_PAGE).get_page(request.GET.get("worked"))
        if overseer
        else None,
        "reject_form": RejectForm(),
        "available": routing.is_available(request.user),
    }
    template = "handoff/queue.html#queue" if request.htmx else "handoff/queue.html"
    return render(request, template, context)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # In scope at the moment of the click (queued, or the rep's own): a rep who
    # loses the race reads who won in the row they were looking at; a handoff
    # another rep already holds is a 404, as on every other page.
    handoff = get_visible_or_404(Handoff, request.user, pk)
    won = services.claim_handoff(handoff, rep=request.user)
    # The row as it is now (who won, if not this rep) with what it shows, in
    # one query: the check above reads no related rows, since most of the
    # reps in a busy race lose and need them only once, here.
    handoff = Handoff.objects.for_queue().get(pk=pk)
    if request.htmx:
        context = {"handoff": handoff, "lost": not won, "reject_form": RejectForm()}
        response = render(request, "handoff/queue.html#row", context)
        if won:
            trigger_client_event(response, "handoffClaimed")
        return response
    if won:
        messages.success(request, _("You claimed %(lead)s.") % {"lead": handoff.lead})
    else:
        messages.warning(request, _("Someone else already claimed this lead."))
    return _back(request, handoff)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    handoff = get_visible_or_404(Handoff, request.user, pk)
    next_step = NextStepForm(request.POST)
    if not next_step.is_valid():
        messages.error(request, _("The next step is due in 0 to 60 business days."))
        return _back(request, handoff)
    # accept_handoff commits on its own (durable): the next step follows it.
    accepted = services.accept_handoff(handoff, rep=request.user)
    title = next_step.cleaned_data["next_step"]
    if accepted and title:
        with transaction.atomic():
            signals.follow_up_requested.send(
                sender=Handoff,
                lead=handoff.lead,
                handoff=handoff,
                title=title,
                days=next_step.cleaned_data["next_step_days"] or 0,
                by=request.user,
            )
    if accepted:
        messages.success(
            request, _("Accepted: %(lead)s is now a sales-accepted lead.") % {"lead": handoff.lead}
        )
    else:
        messages.error(request, _("Only the rep who claimed this lead can accept it."))
    return _back(request, handoff)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    handoff = get_visible_or_404(Handoff, request.user, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason to reject the lead."))
    elif services.reject_handoff(
        handoff,
        rep=request.user,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
    ):
        messages.success(
            request, _("Rejected: %(lead)s went back to marketing.") % {"lead": handoff.lead}
        )
    else:
        messages.error(request, _("Only the rep who claimed this lead can reject it."))
    return _back(request, handoff)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    handoff = get_visible_or_404(Handoff, request.user, pk)
    if services.release_handoff(handoff, rep=request.user):
        messages.success(request, _("Released: the lead is back in the queue."))
    else:
        messages.error(request, _("Only the rep who claimed this lead can release it."))
    return _back(request, handoff)


def _back(request: AuthenticatedRequest, handoff: Handoff) -> HttpResponse:
    """To the handoff's page when the form was there, else to the queue."""
    if request.POST.get("next") == "detail":
        return redirect("handoff:detail", pk=handoff.pk)
    return redirect("handoff:queue")


@require_safe
@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """The user's latest notifications, a due task's reminder among them."""
    entries = inbox.latest(request.user)
    template = "handoff/notifications.html#list" if request.htmx else "handoff/notifications.html"
    return render(request, template, {"entries": entries})


@require_safe
@login_required
def notification_badge(request: AuthenticatedRequest) -> HttpResponse:
    """The unread count, polled by the navigation bar."""
    unread = inbox.unread_count(request.user)
    return render(request, "handoff/notifications.html#badge", {"unread": unread})


@require_POST
@login_required
def mark_all_read(request: AuthenticatedRequest) -> HttpResponse:
    inbox.mark_all_read(request.user)
    return redirect("handoff:notifications")
