"""The API token page: a signed-in user's tokens, made, rotated and revoked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from api import tokens
from api.forms import TokenForm
from api.models import ApiToken
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


@login_required
@never_cache  # the answer may carry a key: no browser or proxy may keep it
@require_http_methods(["GET", "POST"])
def api_token(request: AuthenticatedRequest) -> HttpResponse:
    """A key is shown once, in the answer to the POST that made it; the list
    shows each token's name, scope, expiry and last use."""
    form = TokenForm(user=request.user)
    new_key = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action in {"rotate", "revoke"}:
        token = get_visible_or_404(ApiToken, request.user, request.POST.get("token"))
        if action == "revoke":
            if tokens.revoke_token(token, by=request.user):
                messages.success(
                    request, _("The token “%(name)s” was revoked.") % {"name": token.name}
                )
            return redirect("api_token")
        rotated = tokens.rotate_token(token, by=request.user)
        new_key = rotated[1] if rotated else None
    elif request.method == "POST":
        form, new_key = _create_token(request)
    context = {"form": form, "new_key": new_key, "now": timezone.now()}
    return render(request, "api/token.html", {**context, "tokens": request.user.api_tokens.all()})


def _create_token(request: AuthenticatedRequest) -> tuple[TokenForm, str | None]:
    """The form to show next and the new key, if the posted form made one."""
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return form, None
    try:
        _token, new_key = tokens.create_token(request.user, by=request.user, **form.cleaned_data)
    except IntegrityError:  # the same name made meanwhile
        form.add_error(
            "name", _("You have a token with this name: rotate it, or choose another name.")
        )
        return form, None
    return TokenForm(user=request.user), new_key
