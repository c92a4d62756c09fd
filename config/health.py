"""Liveness and readiness probes (no business code)."""

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from web import shared_cache


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker answer; 503 names what does not.

    The cache is reported but does not make the process unready: without it
    the rate limits count per process and every request is still served."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    status = 200 if all(checks.values()) else 503
    body: dict[str, object] = {
        "status": "ok" if status == 200 else "unavailable",
        "checks": checks,
    }
    checks["cache"] = shared_cache.reachable()
    if not checks["cache"]:
        body["degraded"] = {
            "rate_limits": "counted per process until the shared cache answers again"
        }
    return JsonResponse(body, status=status)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if not settings.CELERY_BROKER_URL:
        return True  # the embedded default runs tasks in-process
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False
