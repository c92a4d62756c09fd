"""Real-browser tests: Debian's chromium driven by pytest-playwright against `live_server`.

Never run `playwright install`: these tests use the system chromium, offline.
Without /usr/bin/chromium they are skipped, or fail with BATON_REQUIRE_SERVICES=1.

Playwright's sync API keeps an asyncio loop running in the main thread for as
long as it lives. Django then refuses ORM calls from that thread, and keeps its
connections apart from those made before the loop started. So:
- DJANGO_ALLOW_ASYNC_UNSAFE is set for this package only;
- playwright and the browser are package-scoped here instead of the plugin's
  session scope, so the loop stops before the rest of the suite runs;
- the `playwright` fixture hands Django back its original connections.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserType, Page, Playwright, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw"  # the personas' password (tests/conftest.py)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
        if os.environ.get("BATON_REQUIRE_SERVICES") == "1":
            pytest.fail(f"BATON_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def _async_unsafe_allowed() -> Iterator[None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright(_async_unsafe_allowed: None, _pw_api_request_contexts: Any) -> Iterator[Playwright]:
    # With a loop running, Django keeps its connections in a per-context store
    # instead of the thread's: put back the ones the test database was set up
    # on, which hold what serialized_rollback restores (and, for in-memory
    # SQLite, the one the live server thread shares).
    set_up_connections = {alias: connections[alias] for alias in connections}
    pw = sync_playwright().start()
    for alias, connection in set_up_connections.items():
        connections[alias] = connection
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)  # type: ignore[no-any-return]


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(playwright: Playwright) -> dict[str, Any]:
    # English and Tokyo unless a test switches; a desktop-sized window.
    return {
        "locale": "en-US",
        "timezone_id": "Asia/Tokyo",
        "viewport": {"width": 1280, "height": 800},
    }


@pytest.fixture
def log_in(live_server: Any) -> Callable[[Page, str], None]:
    """Log in through the form, as a person does."""

    def log_in(page: Page, username: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("current-user")).to_be_visible()

    return log_in


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """A full-page screenshot in test-artifacts/screenshots/<name>.png (gitignored)."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
