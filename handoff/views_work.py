"""Working a handed-off lead: its page, touches, answers, qualification, the
deal, reassignment and a rep's availability."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm.models import Activity, Lead
from handoff import context as context_package
from handoff import routing, services, signals, work
from handoff.forms import AnswerForm, ReassignForm, RejectForm, TouchForm
from handoff.models import Handoff
from web.http import AuthenticatedRequest
from web.people import person
from web.scope import get_visible_or_404


@require_safe
@login_required
def handoff_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The handoff as the rep reads it before calling: the context package,
    what was already asked, the SLA, and what can be done next."""
    if not (
        request.user.has_perm("handoff.claim_handoff")
        or request.user.has_perm("handoff.reassign_handoff")
    ):
        raise PermissionDenied
    handoff = get_visible_or_404(
        Handoff.objects.select_related(
            "lead", "lead__company", "lead__source_campaign", "lead__score", "claimed_by"
        ),
        request.user,
        pk,
    )
    return render(request, "handoff/handoff_detail.html", _detail_context(request, handoff))


def _detail_context(request: AuthenticatedRequest, handoff: Handoff) -> dict[str, Any]:
    lead = handoff.lead
    answers = list(lead.answers.select_related("recorded_by").order_by("question", "-recorded_at"))
    may_reassign = request.user.has_perm("handoff.reassign_handoff")
    return {
        "handoff": handoff,
        "lead": lead,
        "package": context_package.present(handoff.context),
        "answers": answers,
        "touches": lead.activities.filter(kind__in=Activity.SALES_KINDS)
        .select_related("actor")
        .order_by("-occurred_at")[:20],
        "deadlines": handoff.deadlines.order_by("due_at"),
        "deals": lead.deals.select_related("stage").order_by("-created_at"),
        "mine": handoff.claimed_by_id == request.user.pk,
        # A rep's rejected or withdrawn handoff stays readable here, but
        # the lead itself is back with marketing: no link, no forms.
        "lead_visible": Lead.objects.visible_to(request.user).filter(pk=lead.pk).exists(),
        "reassignable": handoff.status in (Handoff.Status.QUEUED, *Handoff.WORKED),
        "touch_form": TouchForm(),
        "answer_form": AnswerForm(answered=[a.question for a in answers]),
        "reject_form": RejectForm(),
        "reassign_form": ReassignForm() if may_reassign else None,
    }


def _own_handoff(request: AuthenticatedRequest, pk: int) -> Handoff:
    return get_visible_or_404(Handoff, request.user, pk)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def qualify(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    handoff = _own_handoff(request, pk)
    if services.qualify_handoff(handoff, rep=request.user):
        messages.success(
            request, _("Qualified: %(lead)s is a sales-qualified lead.") % {"lead": handoff.lead}
        )
    else:
        messages.error(request, _("Only the rep who accepted this lead can qualify it."))
    return redirect("handoff:detail", pk=pk)


@require_POST
@login_required
@permission_required("handoff.reassign_handoff", raise_exception=True)
def reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    handoff = get_visible_or_404(Handoff, request.user, pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rep."))
    elif services.reassign_handoff(handoff, to=form.cleaned_data["rep"], by=request.user):
        messages.success(
            request,
            _("Reassigned to %(rep)s.") % {"rep": person(form.cleaned_data["rep"])},
        )
    else:
        messages.error(request, _("This handoff cannot be reassigned to that rep now."))
    return redirect("handoff:detail", pk=pk)


def _workable_lead(request: AuthenticatedRequest, pk: int) -> Lead:
    return get_visible_or_404(Lead, request.user, pk)


def _back(request: AuthenticatedRequest, lead: Lead) -> HttpResponse:
    """Back to the page the form was on (the handoff's or the lead's)."""
    handoff_id = request.POST.get("handoff")
    if handoff_id and handoff_id.isdigit():
        return redirect("handoff:detail", pk=int(handoff_id))
    return redirect(lead.get_absolute_url())


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def log_touch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = TouchForm(request.POST)
    if not form.is_valid():
        if "follow_up_days" in form.errors:
            messages.error(request, _("A follow-up is due in 0 to 60 business days."))
        else:
            messages.error(request, _("Choose what kind of touch to log."))
        return _back(request, lead)
    data = form.cleaned_data
    with transaction.atomic():
        activity = work.log_touch(lead, kind=data["kind"], note=data["note"], by=request.user)
        if data["follow_up_days"] is not None:
            # The follow-up task (tasks/receivers.py), in the touch's transaction.
            signals.follow_up_requested.send(
                sender=Lead,
                lead=lead,
                handoff=_touched_handoff(request, lead),
                title=_("Follow up: %(kind)s") % {"kind": activity.get_kind_display()},
                days=data["follow_up_days"],
                by=request.user,
            )
    messages.success(request, _("%(kind)s logged.") % {"kind": activity.get_kind_display()})
    return _back(request, lead)


def _touched_handoff(request: AuthenticatedRequest, lead: Lead) -> Handoff | None:
    """The handoff whose page the touch was logged on, if it is this lead's."""
    handoff_id = request.POST.get("handoff", "")
    if not handoff_id.isdigit():
        return None
    return Handoff.objects.visible_to(request.user).filter(pk=handoff_id, lead=lead).first()


@require_POST
@login_required
@permission_required("crm.add_answer", raise_exception=True)
def record_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _workable_lead(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        work.record_answer(lead, by=request.user, **form.cleaned_data)
        messages.success(request, _("Answer recorded."))
    else:
        messages.error(request, _("Write the answer and choose its question."))
    return _back(request, lead)


@require_POST
@login_required
@permission_required("handoff.claim_handoff", raise_exception=True)
def set_availability(request: AuthenticatedRequest) -> HttpResponse:
    available = request.POST.get("available") == "1"
    routing.set_available(request.user, available)
    if available:
        messages.success(request, _("You are available: new leads can be routed to you."))
    else:
        messages.info(request, _("You are away: round-robin skips you until you are back."))
    return redirect("handoff:queue")
