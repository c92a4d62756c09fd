"""The public capture endpoint (`/capture/<key>/`) and its confirmation links.

No login: anyone may post. `public_body` refuses what cannot be read,
`capture_endpoint` answers every refusal as the client reads (JSON to JSON
clients, the hosted form to browsers), and the form checks each value as it
will be stored; the view itself only counts, validates and records.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm import confirmations, privacy
from crm.capture import capture_lead
from crm.forms_capture import CaptureForm
from crm.models import Campaign
from web import ratelimit
from web.public_body import PublicRequest, Refused, public_body, wants_json

CAPTURE_MAX_BYTES = 16 * 1024
# A capture is one flat object; a little room for clients that wrap theirs.
CAPTURE_MAX_DEPTH = 8
CAPTURE_PER_IP = ratelimit.Limit("capture-ip", "BATON_CAPTURE_PER_IP_PER_MINUTE")
CAPTURE_PER_KEY = ratelimit.Limit("capture-key", "BATON_CAPTURE_PER_KEY_PER_MINUTE")

CaptureView = Callable[[PublicRequest, Campaign], HttpResponse]


def capture_endpoint(view: CaptureView) -> Callable[[HttpRequest, str], HttpResponse]:
    """GET and POST only, the campaign found by its key, and every refusal
    (405, 404, 413, 400, 429) answered as the client reads it."""

    @wraps(view)
    def wrapper(request: HttpRequest, key: str) -> HttpResponse:
        if request.method not in ("GET", "POST"):
            message = _("Open this address to see the form, and send the form with POST.")
            return refused(request, None, Refused(message, status=405))
        campaign = Campaign.objects.filter(capture_key=key).first()
        if campaign is None:
            return refused(
                request, None, Refused(_("There is no form at this address."), status=404)
            )
        try:
            return view(request, campaign)  # type: ignore[arg-type]  # public_body sets .posted
        except Refused as refusal:
            return refused(request, campaign, refusal)

    return wrapper


def rate_limited(view: CaptureView) -> CaptureView:
    """A submission (POST) counts against the limits per address and per
    capture key; over either, 429 with Retry-After. Showing the form is free."""

    @wraps(view)
    def wrapper(request: PublicRequest, campaign: Campaign) -> HttpResponse:
        if request.method == "POST":
            ip = ratelimit.client_ip(request)
            key = campaign.capture_key
            retry_after = ratelimit.hit_all([(CAPTURE_PER_IP, ip), (CAPTURE_PER_KEY, key)])
            if retry_after:
                message = _("Too many submissions. Please try again in a minute.")
                raise Refused(message, status=429, headers={"Retry-After": str(retry_after)})
        return view(request, campaign)

    return wrapper


@csrf_exempt  # a public endpoint posted to from other sites; it changes nothing of the user's
@capture_endpoint
@public_body(max_bytes=CAPTURE_MAX_BYTES, max_depth=CAPTURE_MAX_DEPTH)
@rate_limited
def capture(request: PublicRequest, campaign: Campaign) -> HttpResponse:
    """The hosted form (GET), a form post or JSON (POST)."""
    if request.method == "GET":
        return capture_page(request, campaign, CaptureForm.for_page(request, campaign))
    form = CaptureForm.from_request(request, campaign)
    if not form.is_valid():
        return invalid(request, campaign, form)
    store(campaign, form)
    return captured(request, campaign, form)


def store(campaign: Campaign, form: CaptureForm) -> None:
    """Keep a valid submission, unless it is a bot's or an erased person's.

    A bot is told it worked, and nothing is stored. An erased person comes
    back only with a new consent; the answer is the same either way, so the
    form tells nobody who was erased (crm.privacy)."""
    data = form.capture_data()
    consented = data.consent is not None
    admitted = privacy.admit_returning_person(
        email=data.email, phone=data.phone, consented=consented
    )
    if not form.is_spam() and admitted:
        capture_lead(campaign, data=data)


def capture_page(
    request: HttpRequest,
    campaign: Campaign,
    form: CaptureForm,
    *,
    status: int = 200,
    general_errors: list[str] | None = None,
) -> HttpResponse:
    """The hosted form. Its Content-Security-Policy lets the form's redirect
    reach the campaign's allowed hosts (form-action covers redirects)."""
    context = {"campaign": campaign, "form": form, "general_errors": general_errors or []}
    response = render(request, "crm/capture_form.html", context, status=status)
    if hosts := campaign.allowed_host_list():
        response._csp_update = {"form-action": hosts}  # type: ignore[attr-defined]  # django-csp
    return response


def invalid(request: HttpRequest, campaign: Campaign, form: CaptureForm) -> HttpResponse:
    if wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return capture_page(request, campaign, form, status=400)


def captured(request: HttpRequest, campaign: Campaign, form: CaptureForm) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"status": "accepted"}, status=202)
    if url := form.redirect_url():
        return HttpResponseRedirect(url, status=303)
    return render(request, "crm/capture_thanks.html", {"campaign": campaign})


def refused(request: HttpRequest, campaign: Campaign | None, refusal: Refused) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"errors": {"__all__": [refusal.message]}}, status=refusal.status
        )
    elif refusal.status == 405:
        response = HttpResponseNotAllowed(["GET", "POST"])
    elif campaign is None:
        raise Http404(refusal.message)
    else:
        form = CaptureForm(campaign=campaign)
        response = capture_page(
            request, campaign, form, status=refusal.status, general_errors=[refusal.message]
        )
    if refusal.status == 405:
        response["Allow"] = "GET, POST"
    for name, value in refusal.headers.items():
        response[name] = value
    return response


@require_http_methods(["GET", "POST"])
def capture_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of a confirmation email. GET shows one button (mail scanners
    follow links, so GET changes nothing); POST records the confirmation."""
    confirmation = confirmations.confirmation_for(token)
    if confirmation is None:
        return render(request, "crm/capture_confirm.html", {"invalid": True}, status=400)
    done = confirmation.confirmed_at is not None
    if request.method == "POST" and not done:
        confirmations.confirm(
            confirmation,
            ip_address=ratelimit.client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        done = True
    context = {"confirmation": confirmation, "done": done}
    return render(request, "crm/capture_confirm.html", context)
