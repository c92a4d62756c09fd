"""The browser fixtures of tests/browser (system chromium, package-scoped
playwright, log_in, screenshot), for the security checks in real pages."""

from tests.browser.conftest import *  # noqa: F403
from tests.browser.conftest import _async_unsafe_allowed  # noqa: F401
