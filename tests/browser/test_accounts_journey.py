"""Signing in, in a real browser: a manager sets up an authenticator app and
logs in with its code and with a recovery code; a security key through
Chromium's virtual authenticator; a password reset by email; single sign-on
through a real OpenID Connect provider. Screenshots in English and Japanese."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.accounts.helpers import fresh_totp_code, totp_code
from tests.accounts.test_password_reset import link_in
from tests.browser.conftest import PASSWORD
from tests.oidc_provider.server import PASSWORD as IDP_PASSWORD
from tests.oidc_provider.server import OidcProvider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Shot = Callable[[Page, str], Path]


def submit_password(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def log_out(page: Page) -> None:
    page.get_by_test_id("current-user").click()  # the person's own menu
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Baton")).to_be_visible()


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Console errors about the Content-Security-Policy (the QR code, the
    WebAuthn script and the pages must need no 'unsafe-inline')."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


@pytest.fixture
def japanese(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(**{**browser_context_args, "locale": "ja-JP"})
    yield context.new_page()
    context.close()


def test_manager_sets_up_an_authenticator_app_then_logs_in_with_a_code_and_a_recovery_code(
    page: Page,
    japanese: Page,
    live_server: Any,
    manager: User,
    settings: Any,
    screenshot: Shot,
    csp_violations: list[str],
) -> None:
    settings.BATON_MFA_REQUIRED_ROLES = ["manager", "admin"]
    base = live_server.url
    submit_password(page, base, "manager")
    # Required for managers: every page leads to the setup page first.
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    page.wait_for_load_state()
    page.goto(f"{base}/kpi/")
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    screenshot(page, "mfa-setup-required-en")
    page.get_by_role("link", name="Activate").click()
    # Adding a factor asks for the password again.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()  # the QR code
    screenshot(page, "mfa-activate-totp-en")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    activated_at = time.time()
    page.get_by_role("button", name="Activate").click()
    # Recovery codes come with it: shown once here, to be kept somewhere safe.
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    screenshot(page, "mfa-recovery-codes-en")
    page.goto(f"{base}/kpi/")
    expect(page).to_have_url(f"{base}/kpi/")
    log_out(page)

    # Next time: the password, then the app's code.
    submit_password(page, base, "manager")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    screenshot(page, "mfa-authenticate-en")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.get_by_label("Code").fill(fresh_totp_code(secret, used_at=activated_at))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    assert csp_violations == []
    log_out(page)

    # In Japanese, with a recovery code instead (the phone is lost).
    submit_password_ja(japanese, base, "manager")
    expect(japanese).to_have_url(f"{base}/accounts/2fa/authenticate/")
    expect(japanese.locator("html")).to_have_attribute("lang", "ja")
    expect(japanese.get_by_text("多要素認証で保護されています")).to_be_visible()
    screenshot(japanese, "mfa-authenticate-ja")
    japanese.locator("input[name=code]").fill(codes[0])
    japanese.locator("main form button[type=submit]").first.click()
    expect(japanese.get_by_test_id("current-user")).to_be_visible()
    # Signed in, the manager's own language (English, kept at the first
    # login) wins over this browser's; the switch makes Japanese theirs.
    japanese.goto(f"{base}/accounts/2fa/")
    expect(japanese.locator("html")).to_have_attribute("lang", "en")
    japanese.get_by_role("button", name="日本語").click()
    expect(japanese.locator("html")).to_have_attribute("lang", "ja")
    expect(japanese.get_by_text("10 個中 9 個です", exact=False)).to_be_visible()
    screenshot(japanese, "mfa-index-ja")


def submit_password_ja(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def test_a_security_key_through_chromiums_virtual_authenticator(
    page: Page, live_server: Any, rep: User, screenshot: Shot, csp_violations: list[str]
) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    base = live_server.url
    submit_password(page, base, "rep")
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop")
    screenshot(page, "mfa-webauthn-add-en")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    stored = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert len(stored["credentials"]) == 1
    log_out(page)

    submit_password(page, base, "rep")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    assert csp_violations == []


def test_a_forgotten_password_is_reset_by_email(
    page: Page, japanese: Page, live_server: Any, rep: User, screenshot: Shot
) -> None:
    base = live_server.url
    japanese.goto(f"{base}/login/")
    japanese.get_by_role("link", name="パスワードをお忘れですか？").click()
    screenshot(japanese, "password-reset-ja")
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("rep@example.com")
    screenshot(page, "password-reset-en")
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_test_id("reset-requested")).to_contain_text("If an account uses")
    screenshot(page, "password-reset-done-en")
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0])
    page.goto(link.replace("http://127.0.0.1:8000", base))
    page.locator("input[name=password1]").fill("Fresh-passw0rd!")
    page.locator("input[name=password2]").fill("Fresh-passw0rd!")
    screenshot(page, "password-reset-new-password-en")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()
    submit_password(page, base, "rep", password="Fresh-passw0rd!")
    expect(page.get_by_test_id("current-user")).to_be_visible()
    # The link worked once.
    log_out(page)
    page.goto(link.replace("http://127.0.0.1:8000", base))
    expect(page.get_by_role("heading", name="Bad Token")).to_be_visible()


def test_single_sign_on_through_an_openid_connect_provider(
    page: Page, japanese: Page, live_server: Any, settings: Any, screenshot: Shot
) -> None:
    base = live_server.url
    provider = OidcProvider(redirect_uris=[f"{base}/accounts/oidc/sso/login/callback/"])
    provider.start()
    try:
        provider.configure(settings)
        japanese.goto(f"{base}/login/")
        expect(japanese.get_by_role("button", name="Test IdP でログイン")).to_be_visible()
        screenshot(japanese, "sso-login-page-ja")
        page.goto(f"{base}/login/")
        screenshot(page, "sso-login-page-en")
        page.get_by_role("button", name="Log in with Test IdP").click()
        expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
        page.get_by_label("Username").fill("saki")
        page.get_by_label("Password").fill(IDP_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("current-user")).to_have_text(re.compile("Mori"))
        page.goto(f"{base}/kpi/")  # a manager, as the provider's groups claim says
        expect(page).to_have_url(f"{base}/kpi/")
        screenshot(page, "sso-signed-in-en")
        assert User.objects.get(email="saki@example.jp").groups.get().name == "manager"
    finally:
        provider.stop()
