"""Security headers and cookies: the CSP has no 'unsafe-inline', production
cookies carry the __Host- prefix, development on plain http still works."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("url", ["/login/", "/capture/{key}/", "/crm/leads/", "/api/docs/"])
def test_every_page_carries_a_strict_csp(client, marketer, campaign, url):
    client.force_login(marketer)
    response = client.get(url.format(key=campaign.capture_key))
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        assert not any(source.startswith("http") for source in policy[directive])


def test_an_inline_script_needs_the_requests_nonce(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">1</script>')
    request = rf.get("/")

    def view(request):
        return HttpResponse(template.render({}, request))

    response = CSPMiddleware(view)(request)
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in csp(response)["script-src"]


def test_other_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def settings_in(env: dict[str, str], *names: str) -> list[str]:
    """Settings as a process started with `env` reads them (they are computed at start-up)."""
    code = "from django.conf import settings; " + "; ".join(
        f"print(settings.{name})" for name in names
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if not line.startswith("AXES")]


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "baton.example.com",
}
COOKIES = ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE")


def test_production_cookies_are_host_prefixed_and_secure():
    assert settings_in(PRODUCTION, *COOKIES) == [
        "__Host-sessionid",
        "True",
        "__Host-csrftoken",
        "True",
    ]


def test_plain_http_keeps_plain_cookie_names():
    # Browsers drop __Host- cookies that are not Secure: `make up` on http must still log in.
    local = {**PRODUCTION, "SECURE_SSL_REDIRECT": "false"}
    assert settings_in(local, *COOKIES) == ["sessionid", "False", "csrftoken", "False"]
    assert settings_in({"DEBUG": "true"}, *COOKIES) == ["sessionid", "False", "csrftoken", "False"]


def test_session_cookie_is_http_only_and_same_site(client, rep):
    client.post(reverse("login"), {"username": "rep", "password": "pw"})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
