"""Run the test OpenID Connect provider as its own process (see __init__.py)."""

from __future__ import annotations

import copy
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

# Who can sign in at the provider (password "idp-pw"), and what it says of them.
PEOPLE = [
    # Baton's own role names in the groups claim.
    {"username": "saki", "email": "saki@example.jp", "first_name": "Saki",
     "last_name": "Mori", "groups": ["manager"]},
    # The provider's names, mapped by OIDC_ROLE_MAP in the tests that want it.
    {"username": "kenji", "email": "kenji@example.jp", "first_name": "Kenji",
     "last_name": "Ito", "groups": ["crm-sales", "all-staff"]},
    # No group that means a Baton role.
    {"username": "guest", "email": "guest@example.jp", "first_name": "Gen",
     "last_name": "Ueda", "groups": ["all-staff"]},
    # The same address as Baton's persona `rep`, vouched for by the provider.
    {"username": "taro", "email": "rep@example.com", "first_name": "Taro",
     "last_name": "Suzuki", "groups": ["sales", "email-verified"]},
    # The address of Baton's persona `marketer`, NOT vouched for.
    {"username": "impostor", "email": "marketer@example.com", "first_name": "Hanako",
     "last_name": "Sato", "groups": ["marketer"]},
]  # fmt: skip
PASSWORD = "idp-pw"  # nosec B105  # test provider only


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class OidcProvider:
    def __init__(self, redirect_uris: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_url = f"{self.url}/o"  # discovery: /o/.well-known/openid-configuration
        self.client_id = "baton-" + secrets.token_hex(4)
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uris = redirect_uris
        self.tmp = tempfile.TemporaryDirectory(prefix="baton-oidc-")
        self.log = ROOT / "test-artifacts" / "oidc-provider.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_DB": str(Path(self.tmp.name) / "provider.sqlite3"),
            "OIDC_PROVIDER_RSA_KEY": rsa_private_key_pem(),
            "PYTHONPATH": str(ROOT),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        spec = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "people": [{**person, "password": PASSWORD} for person in PEOPLE],
        }
        subprocess.run(
            [sys.executable, "-m", "tests.oidc_provider.bootstrap"],
            input=json.dumps(spec).encode(),
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.log.parent.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.is_up, timeout=60, interval=0.2)

    def is_up(self) -> bool:
        try:
            discovery = f"{self.server_url}/.well-known/openid-configuration"
            return requests.get(discovery, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.tmp.cleanup()

    def configure(self, settings: Any) -> None:
        """Point Baton's settings at this provider, as OIDC_* variables would."""
        settings.SOCIALACCOUNT_PROVIDERS = self.baton_settings()
        csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        csp["DIRECTIVES"]["form-action"] = [*csp["DIRECTIVES"]["form-action"], self.url]
        settings.CONTENT_SECURITY_POLICY = csp

    def baton_settings(self) -> dict[str, Any]:
        """SOCIALACCOUNT_PROVIDERS as Baton's settings build it from OIDC_* variables."""
        return {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Test IdP",
                        "client_id": self.client_id,
                        "secret": self.client_secret,
                        "settings": {
                            "server_url": self.server_url,
                            "oauth_pkce_enabled": True,
                            "scope": ["openid", "profile", "email"],
                        },
                    }
                ]
            }
        }

    def sign_in(self, authorize_url: str, username: str) -> str:
        """Sign in at the provider as a browser would; returns the URL the
        provider sends the browser back to (Baton's callback)."""
        with requests.Session() as browser:
            page = browser.get(authorize_url, timeout=10)  # follows to the login form
            assert page.status_code == 200, page.text
            answer = browser.post(
                page.url,
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": browser.cookies["provider_csrf"],
                },
                headers={"Referer": page.url},
                allow_redirects=False,
                timeout=10,
            )
            while answer.status_code == 302 and answer.headers["Location"].startswith(
                ("/", self.url)
            ):
                answer = browser.get(
                    requests.compat.urljoin(self.url, answer.headers["Location"]),
                    allow_redirects=False,
                    timeout=10,
                )
            assert answer.status_code == 302, answer.text
            return str(answer.headers["Location"])
