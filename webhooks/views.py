"""Webhook endpoints and their delivery log, for admins and managers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404
from webhooks import services
from webhooks.forms import EndpointForm
from webhooks.models import Endpoint, EventType

# The delivery log shows the newest deliveries; older ones stay in the database.
LOG_LENGTH = 100


def _endpoint(request: AuthenticatedRequest, pk: int) -> Endpoint:
    return get_visible_or_404(Endpoint, request.user, pk)


@require_safe
@login_required
@permission_required("webhooks.view_endpoint", raise_exception=True)
def endpoint_list(request: AuthenticatedRequest) -> HttpResponse:
    endpoints = Endpoint.objects.visible_to(request.user)
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints})


@require_http_methods(["GET", "POST"])
@never_cache  # the answer to a creation carries the secret
@login_required
@permission_required("webhooks.add_endpoint", raise_exception=True)
def endpoint_create(request: AuthenticatedRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = services.create_endpoint(
            name=form.cleaned_data["name"],
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["events"],
            by=request.user,
        )
        messages.success(request, _("Webhook endpoint “%(name)s” created.") % {"name": endpoint})
        return _detail(request, endpoint, new_secret=endpoint.secret)
    return render(request, "webhooks/endpoint_form.html", {"form": form})


@require_safe
@never_cache
@login_required
@permission_required("webhooks.view_endpoint", raise_exception=True)
def endpoint_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _detail(request, _endpoint(request, pk))


def _detail(  # nosec B107  # new_secret is the one just generated, "" when none
    request: AuthenticatedRequest, endpoint: Endpoint, new_secret: str = ""
) -> HttpResponse:
    deliveries = endpoint.deliveries.select_related("event").order_by("-created_at", "-pk")
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "deliveries": deliveries[:LOG_LENGTH],
            "log_length": LOG_LENGTH,
            "new_secret": new_secret,
            "event_types": EventType.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("webhooks.change_endpoint", raise_exception=True)
def endpoint_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        services.update_endpoint(
            Endpoint.objects.get(pk=endpoint.pk),
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(request, _("Webhook endpoint saved."))
        return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@require_POST
@never_cache
@login_required
@permission_required("webhooks.change_endpoint", raise_exception=True)
def endpoint_rotate_secret(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    secret = services.rotate_secret(endpoint)
    messages.success(request, _("New signing secret created; the old one no longer signs."))
    return _detail(request, endpoint, new_secret=secret)


@require_POST
@login_required
@permission_required("webhooks.delete_endpoint", raise_exception=True)
def endpoint_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    services.delete_endpoint(endpoint)
    messages.success(request, _("Webhook endpoint “%(name)s” deleted.") % {"name": endpoint})
    return redirect("webhooks:endpoint_list")
