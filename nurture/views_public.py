"""Public endpoints: what recipients' mail clients and browsers call.

No login; everything they act on is named by a signed token. The collection
endpoint is built to be flooded: a header check, two cache counters, a capped
body and one INSERT, nothing else in the request.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from nurture import tokens, tracking, visits
from nurture.models import Delivery, PageView
from web import json_input, ratelimit
from web.durability import commit_without_waiting_for_the_disk

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
COLLECT_MAX_BYTES = 2048
# A page view is one flat object; anything nested deeper is not one.
COLLECT_MAX_DEPTH = 2
COLLECT_PER_IP = ratelimit.Limit("collect-ip", "NURTURE_COLLECT_PER_IP_PER_MINUTE")
COLLECT_ALL = ratelimit.Limit("collect-all", "NURTURE_COLLECT_PER_MINUTE")
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
VISITOR_PARAM = "bt_v"


@never_cache
@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """A 1×1 GIF; the first load records the open. Always the image, so a
    forged token learns nothing."""
    try:
        delivery_id = tokens.read(tokens.OPEN, token)
    except signing.BadSignature:
        delivery_id = None
    if isinstance(delivery_id, int):
        tracking.record_open(delivery_id)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click and redirect to the link, only if the signed link is
    one of the message's own links."""
    try:
        delivery_id, url = tokens.read(tokens.CLICK, token)
        delivery = tracking.record_click(int(delivery_id), str(url))
    except (signing.BadSignature, ValueError, TypeError, tracking.LinkRefused):
        return render(request, "nurture/link_invalid.html", status=400)
    return HttpResponseRedirect(with_visitor(str(url), delivery.lead_id))


def with_visitor(url: str, lead_id: int) -> str:
    """On the company's own website, the link carries who clicked, for the
    tracking script; links elsewhere are left alone."""
    parts = urlsplit(url)
    if parts.hostname not in settings.NURTURE_SITE_HOSTS:
        return url
    query = [*parse_qsl(parts.query, keep_blank_values=True)]
    query.append((VISITOR_PARAM, visits.visitor_token(lead_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@csrf_exempt  # RFC 8058: the mail provider POSTs from its own servers
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one button (link scanners follow GETs, so GET changes
    nothing); POST unsubscribes, from that button or as the one-click POST of
    List-Unsubscribe-Post."""
    try:
        delivery_id = tokens.read(tokens.UNSUBSCRIBE, token)
    except signing.BadSignature:
        return render(request, "nurture/link_invalid.html", status=400)
    delivery = Delivery.objects.select_related("send").filter(pk=delivery_id).first()
    context = {"delivery": delivery, "test": delivery_id == 0}
    if request.method == "POST" and delivery is not None:
        tracking.unsubscribe(delivery)
        return render(request, "nurture/unsubscribed.html", context)
    return render(request, "nurture/unsubscribe.html", context)


def _refuses_tracking(request: HttpRequest) -> bool:
    return request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1"


@csrf_exempt  # posted by the tracking script from the company's website
def collect(request: HttpRequest) -> HttpResponse:
    """One page view from the tracking script: 204, or an error in JSON
    (405, 429, 413, 400) that the script ignores and a developer can read."""
    if request.method != "POST":
        response = _refusal(405, _("Send page views with POST."))
        response["Allow"] = "POST"
        return response
    if _refuses_tracking(request):
        return _no_content()
    retry = ratelimit.hit(COLLECT_PER_IP, ratelimit.client_ip(request)) or ratelimit.hit(
        COLLECT_ALL, "all"
    )
    if retry:
        response = _refusal(429, _("Too many page views from here: wait a minute."))
        response["Retry-After"] = str(retry)
        return response
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > COLLECT_MAX_BYTES:
        return _too_large()  # refused before a byte of it is read
    body = request.read(COLLECT_MAX_BYTES + 1)
    if len(body) > COLLECT_MAX_BYTES:
        return _too_large()
    try:
        data = json_input.loads(body, max_depth=COLLECT_MAX_DEPTH)
    except json_input.JsonInputError:
        return _refusal(400, _("The body is not a JSON page view."))
    view = _page_view(data)
    if view is None:
        return _refusal(400, _("The body is not a JSON page view."))
    _insert_without_waiting_for_the_disk(view)
    return _no_content()


def _insert_without_waiting_for_the_disk(view: PageView) -> None:
    """One INSERT, committed without waiting for the WAL flush: a crash may
    lose the last page views (analytics, never a promise to anyone), and the
    endpoint is not held to the disk's few hundred fsyncs a second."""
    with transaction.atomic():
        commit_without_waiting_for_the_disk()
        view.save(force_insert=True)


def _page_view(data: object) -> PageView | None:
    """The view the body describes, or None when it is not one."""
    if not isinstance(data, dict):
        return None
    visitor, url = data.get("v"), data.get("u")
    title, token = data.get("t", ""), data.get("i", "")
    if not (isinstance(visitor, str) and VISITOR_ID.fullmatch(visitor)):
        return None
    if not (isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 500):
        return None
    if not isinstance(title, str) or not isinstance(token, str) or len(token) > 200:
        return None
    if json_input.unstorable([url, title, token]):
        return None  # NUL or a lone surrogate: PostgreSQL would refuse the row
    return PageView(visitor_id=visitor, url=url, title=title[:200], identity=token)


def _too_large() -> HttpResponse:
    return _refusal(
        413, _("A page view is at most %(limit)s bytes.") % {"limit": f"{COLLECT_MAX_BYTES:,}"}
    )


def _no_content() -> HttpResponse:
    return _readable_anywhere(HttpResponse(status=204))


def _refusal(status: int, message: str) -> HttpResponse:
    return _readable_anywhere(JsonResponse({"detail": message}, status=status))


def _readable_anywhere(response: HttpResponse) -> HttpResponse:
    # Readable by the script on any site; it sends no credentials.
    response["Access-Control-Allow-Origin"] = "*"
    return response
