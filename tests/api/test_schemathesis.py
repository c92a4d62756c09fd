"""schemathesis against the OpenAPI schema, every check
(`schemathesis run --checks all`): every operation, generated requests valid
and invalid, and sequences of calls. No server error, no answer the schema
does not describe (status, content type, headers, body), every request the
schema allows accepted and every one it forbids refused, methods a route does
not take answered 405, and calls without credentials answered 401.

The app is called in-process (WSGI) inside the test's transaction, as an
administrator (every operation is allowed, so every code path is reached),
with throttling reset before each request. schemathesis.toml (read from the
project folder) lets a schema-valid request be answered 422, for rules
between values that a schema cannot state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from api import tokens
from config.wsgi import application
from tests import factories

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

# Examples per operation, from a fixed seed (the same run every time, as CI
# needs): enough to reach every field's edge cases, bounded so the whole run
# takes a few minutes on 2 cores. To explore, SCHEMATHESIS_EXPLORE=200 runs
# 200 random examples per operation instead.
EXPLORE = int(os.environ.get("SCHEMATHESIS_EXPLORE", "0"))
EXAMPLES = EXPLORE or 25
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not EXPLORE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Django closes its database connection at the start and end of each
    request; here the requests run inside the test's transaction, so keep it
    open (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


KEYS: list[str] = []  # the current test's token


@schema.auth()
class AdminToken:
    """Given to schemathesis as the API's authentication, so that its
    ignored_auth check knows what to leave out or spoil."""

    def get(self, case: Any, context: Any) -> str:
        return KEYS[-1] if KEYS else "no-token-yet"

    def set(self, case: Any, data: str, context: Any) -> None:
        cache.clear()  # throttling counts requests in the cache
        # The WSGI transport hands a body over as sent, and longer answers are
        # gzipped (GZipMiddleware): asked for as they are, like a client that
        # does not accept gzip, so that the answers can be read and checked.
        case.headers = {
            **(case.headers or {}),
            "Authorization": f"Token {data}",
            "Accept-Encoding": "identity",
        }


@pytest.fixture
def admin_token(db: None, keep_connection: None, campaign: Any) -> Iterator[str]:
    admin = User.objects.create_superuser("schemathesis", "st@example.com", "pw")
    factories.qualified_handoff(campaign)  # something to list and act on
    _token, key = tokens.create_token(admin, name="schemathesis")
    KEYS.append(key)
    yield key
    KEYS.remove(key)


@schema.parametrize()
@SETTINGS
def test_api_answers_as_its_schema_says(case: Any, admin_token: str) -> None:
    case.call_and_validate()


def test_api_answers_as_its_schema_says_call_after_call(admin_token: str) -> None:
    """The stateful phase: sequences of calls, each answer's ids fed to the next."""

    class Calls(schema.as_state_machine()):  # type: ignore[misc]
        pass

    Calls.run(
        settings=settings(SETTINGS, max_examples=max(EXAMPLES // 5, 3), stateful_step_count=5)
    )
