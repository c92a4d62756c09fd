"""The API token page: a signed-in user creates, rotates or revokes their token."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from api import tokens
from crm.http import AuthenticatedRequest


@login_required
@never_cache  # the answer may carry a key: no browser or proxy may keep it
@require_http_methods(["GET", "POST"])
def api_token(request: AuthenticatedRequest) -> HttpResponse:
    """The key is shown once, in the answer to the POST that made it; later
    visits show only when it was created."""
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if tokens.revoke_token(request.user):
                messages.success(request, _("Your API token was revoked."))
            return redirect("api_token")
        new_key = tokens.rotate_token(request.user).key
    token = Token.objects.filter(user=request.user).first()
    return render(request, "api/token.html", {"token": token, "new_key": new_key})
