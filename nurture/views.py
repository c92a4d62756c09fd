"""The marketer's nurture pages: segments, emails, sends, website tracking."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.mail import EmailMultiAlternatives
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm.forms import LeadFilterForm
from crm.models import Consent, Lead
from nurture import rendering, sending, tokens
from nurture.forms import EmailForm, SegmentForm, SendForm, segment_query
from nurture.models import Email, Segment, Send
from web.http import AuthenticatedRequest
from web.people import person
from web.scope import get_visible_or_404

VIEW = "nurture.view_segment"


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def segment_list(request: AuthenticatedRequest) -> HttpResponse:
    segments = Segment.objects.visible_to(request.user)
    return render(request, "nurture/segment_list.html", {"segments": segments, "nav": "nurture"})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("nurture.add_segment", raise_exception=True)
def segment_create(request: AuthenticatedRequest) -> HttpResponse:
    return _segment_form(request, Segment(created_by=request.user))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("nurture.change_segment", raise_exception=True)
def segment_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _segment_form(request, get_visible_or_404(Segment, request.user, pk))


def _segment_form(request: AuthenticatedRequest, segment: Segment) -> HttpResponse:
    form = SegmentForm(request.POST or None, instance=segment)
    filters = segment.filter_form() if request.method != "POST" else LeadFilterForm(request.POST)
    if request.method == "POST" and form.is_valid() and filters.is_valid():
        segment = form.save(commit=False)
        segment.query = segment_query(filters)
        segment.save()
        messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
        return redirect(segment)
    count = filters.filter(Lead.objects.all()).count() if filters.is_valid() else None
    context = {"form": form, "filters": filters, "segment": segment, "count": count}
    return render(request, "nurture/segment_form.html", {**context, "nav": "nurture"})


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def segment_count(request: AuthenticatedRequest) -> HttpResponse:
    """The live count of the filter being edited (htmx), or of a saved segment."""
    filters = LeadFilterForm(request.GET)
    count = filters.filter(Lead.objects.all()).count() if filters.is_valid() else None
    partial = "cell" if "cell" in request.GET else "count"
    context = {"count": count, "filters": filters}
    return render(request, f"nurture/segment_form.html#{partial}", context)


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def segment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(Segment, request.user, pk)
    leads = segment.leads()
    by_basis = leads.reachable_by_basis(Consent.Basis.values)
    context = {
        "segment": segment,
        "count": leads.count(),
        "contactable": segment.reachable().count(),
        # Every basis, chosen or not: the marketer sees what widening would add.
        "by_basis": [
            (label, by_basis[basis], basis in segment.consent_bases)
            for basis, label in Consent.Basis.choices
        ],
        "leads": leads.select_related("company", "owner", "source_campaign", "score")[:20],
        "sends": segment.sends.select_related("email"),
        "nav": "nurture",
    }
    return render(request, "nurture/segment_detail.html", context)


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def email_list(request: AuthenticatedRequest) -> HttpResponse:
    emails = Email.objects.visible_to(request.user).select_related("campaign")
    sends = Send.objects.visible_to(request.user).select_related("segment")[:20]
    context = {"emails": emails, "sends": sends, "nav": "nurture"}
    return render(request, "nurture/email_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("nurture.add_email", raise_exception=True)
def email_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {
        "from_name": person(request.user),
        "from_email": request.user.email,
        "body": _("{{ name }}\n\nThank you for your interest.\n"),
    }
    return _email_form(request, Email(created_by=request.user), initial)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("nurture.change_email", raise_exception=True)
def email_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _email_form(request, get_visible_or_404(Email, request.user, pk))


def _email_form(
    request: AuthenticatedRequest, email: Email, initial: dict[str, str] | None = None
) -> HttpResponse:
    form = EmailForm(request.POST or None, instance=email, initial=initial)
    if form.is_valid():
        email = form.save()
        messages.success(request, _("Email “%(name)s” saved.") % {"name": email.name})
        return redirect(email)
    context = {"form": form, "email": email, "merge_fields": rendering.MERGE_FIELDS}
    return render(request, "nurture/email_form.html", {**context, "nav": "nurture"})


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def email_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The email, previewed for one recipient of the chosen segment."""
    email = get_visible_or_404(Email, request.user, pk)
    send_form = SendForm(request.GET or None)
    segment = send_form.cleaned_data["segment"] if send_form.is_valid() else None
    recipients = list(segment.leads().select_related("company")[:50]) if segment else []
    lead = _preview_lead(request, recipients)
    preview = _render(email, lead, unsubscribe_url="#")
    context = {
        "email": email,
        "send_form": send_form,
        "segment": segment,
        "recipients": recipients,
        "lead": lead,
        "preview": preview,
        "contactable": segment.reachable().count() if segment else None,
        "nav": "nurture",
    }
    return render(request, "nurture/email_detail.html", context)


def _preview_lead(request: AuthenticatedRequest, recipients: list[Lead]) -> Lead:
    """The chosen recipient, the segment's first, or the marketer as a sample."""
    chosen = request.GET.get("lead", "")
    for lead in recipients:
        if chosen.isdigit() and lead.pk == int(chosen):
            return lead
    if recipients:
        return recipients[0]
    # No segment chosen: the marketer as a sample recipient.
    user = request.user
    return Lead(family_name=user.last_name or user.get_username(), given_name=user.first_name)


def _render(email: Email, lead: Lead, *, unsubscribe_url: str) -> rendering.Rendered:
    return rendering.render(
        subject=email.subject,
        body=email.body,
        language=email.language,
        from_name=email.from_name,
        from_email=email.from_email,
        lead=lead,
        link=lambda url: url,
        unsubscribe_url=unsubscribe_url,
    )


@require_POST
@login_required
@permission_required("nurture.add_send", raise_exception=True)
def email_test(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send the preview to oneself: links are not tracked, nothing is recorded."""
    email = get_visible_or_404(Email, request.user, pk)
    if not request.user.email:
        messages.error(request, _("Your account has no email address to send the test to."))
        return redirect(email)
    lead = Lead(family_name=request.user.last_name or request.user.get_username())
    lead.given_name = request.user.first_name
    unsubscribe_url = sending.absolute(
        reverse("nurture:unsubscribe", args=[tokens.make(tokens.UNSUBSCRIBE, 0)])
    )
    rendered = _render(email, lead, unsubscribe_url=unsubscribe_url)
    message = EmailMultiAlternatives(
        subject=_("[Test] %(subject)s") % {"subject": rendered.subject},
        body=rendered.text,
        from_email=rendered.from_header,
        to=[request.user.email],
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    messages.success(request, _("Test sent to %(email)s.") % {"email": request.user.email})
    return redirect(email)


@require_POST
@login_required
@permission_required("nurture.add_send", raise_exception=True)
def email_send(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A mass send is confirmed first: the page says how many leads may be
    emailed now, and the send goes out only when that count is confirmed (a
    count that changed meanwhile is shown again; nobody reachable, no send)."""
    email = get_visible_or_404(Email, request.user, pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the segment to send to."))
        return redirect(email)
    segment = form.cleaned_data["segment"]
    leads = segment.leads()
    reachable = segment.reachable().count()
    confirmed = request.POST.get("confirmed", "")
    if reachable and confirmed == str(reachable):
        send = sending.start_send(email, segment=segment, by=request.user)
        return redirect(send)
    context = {
        "email": email,
        "segment": segment,
        "total": leads.count(),
        "reachable": reachable,
        "changed": bool(confirmed) and confirmed != str(reachable),
        "nav": "nurture",
    }
    return render(request, "nurture/send_confirm.html", context)


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def send_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Progress while sending (htmx polls the fragment), then the results."""
    send = get_visible_or_404(Send.objects.select_related("email", "segment"), request.user, pk)
    context = {"send": send, "results": sending.results(send), "nav": "nurture"}
    template = "nurture/send_detail.html#progress" if request.htmx else "nurture/send_detail.html"
    return render(request, template, context)


@require_POST
@login_required
@permission_required("nurture.add_send", raise_exception=True)
def send_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    send = get_visible_or_404(Send, request.user, pk)
    if sending.cancel_send(send):
        messages.success(request, _("Sending stopped. No further messages will go out."))
    else:
        messages.info(request, _("This send had already finished."))
    return redirect(send)


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def tracking(request: AuthenticatedRequest) -> HttpResponse:
    """The website tracking script for the marketer to copy."""
    context = {
        "script_url": request.build_absolute_uri(static("js/baton-track.js")),
        "collect_url": request.build_absolute_uri(reverse("nurture:collect")),
        "retention_days": settings.NURTURE_ANONYMOUS_VISIT_DAYS,
        "nav": "nurture",
    }
    return render(request, "nurture/tracking.html", context)
