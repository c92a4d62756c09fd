"""Personal-data requests (APPI, GDPR) for managers: export a person as JSON,
or erase them. Pages only, not the API: these are rare requests answered by a
person, and an API token able to dump or erase anyone would be a bulk
exfiltration tool if it leaked."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from crm import privacy
from crm.models import Lead
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


@require_safe
@login_required
@permission_required("audit.export_personal_data", raise_exception=True)
def personal_data(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Everything about the person as a JSON download."""
    lead = get_visible_or_404(Lead, request.user, pk)
    document = privacy.export_person(lead, by=request.user)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"personal-data-lead-{lead.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("audit.erase_personal_data", raise_exception=True)
def erase(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A confirmation page; the POST erases. Typing the email confirms that the
    right person is being erased (it cannot be undone)."""
    lead = get_visible_or_404(Lead, request.user, pk)
    error = ""
    if request.method == "POST":
        typed = request.POST.get("confirm_email", "").strip().lower()
        if typed and typed == lead.email.strip().lower():
            privacy.erase_person(lead, by=request.user)
            messages.success(request, _("The person was erased. Their history stays, anonymous."))
            return redirect("crm:lead_detail", pk=lead.pk)
        error = _("Type the person's email address exactly to confirm.")
    context = {"lead": lead, "error": error}
    return render(request, "crm/lead_erase.html", context, status=400 if error else 200)
