"""Property: whatever body reaches /capture/, the answer is not a 5xx.

Generated form-encoded and JSON bodies (any text, NUL and lone surrogates,
characters that grow under NFKC, deep nesting, wrong types, raw bytes) are
posted through the test client, which re-raises any exception the view
lets through. On PostgreSQL a value the database refuses would abort the
test's transaction and fail the next example too, so both backends count.
The budget is bounded: about 15 s on SQLite.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FIELDS = [
    "email", "family_name", "given_name", "company", "title", "phone", "message", "consent",
    "website", "visitor_id", "redirect", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content",
]  # fmt: skip
# Characters that stress normalisation and storage.
TRICKY = st.sampled_from(
    ["\x00", "\ud800", "㍿", "⑳", "ß", "ﬃ", "\u200b", "\ufeff", "\r", "\n", "%", "&", "="]
)
TEXT = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), TRICKY), max_size=300
) | st.sampled_from(["a@example.jp", "Ａ＠ＥＸＡＭＰＬＥ．ＪＰ", "1" * 30, "㍿" * 200, "x" * 2100])
NAMES = st.sampled_from(FIELDS) | st.text(max_size=20)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NAMES, children, max_size=4),
    max_leaves=20,
)
BUDGET = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def post(client, campaign):
    url = reverse("capture", args=[campaign.capture_key])

    def send(body: bytes | str, content_type: str, **extra: str) -> int:
        response = client.generic("POST", url, body, content_type=content_type, **extra)
        return int(response.status_code)

    return send


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 10**9
    settings.BATON_CAPTURE_PER_KEY_PER_MINUTE = 10**9


def form_body(fields: dict[str, str]) -> str:
    # A lone surrogate cannot be percent-encoded as UTF-8: send what a broken client would.
    return urlencode(fields, encoding="utf-8", errors="surrogatepass")


@BUDGET
@given(fields=st.dictionaries(NAMES, TEXT, max_size=8))
def test_any_form_body_gets_an_answer_not_a_5xx(post, fields):
    status = post(form_body(fields), "application/x-www-form-urlencoded")
    assert status < 500, fields


@BUDGET
@given(payload=st.dictionaries(NAMES, JSON_VALUES, max_size=8) | JSON_VALUES)
def test_any_json_body_gets_an_answer_not_a_5xx(post, payload):
    status = post(json.dumps(payload), "application/json")
    assert status < 500, payload
    assert status in (202, 400, 413)


@BUDGET
@given(
    body=st.binary(max_size=2000)
    | st.integers(1, 20_000).map(lambda n: "[" * n + "]" * n)
    | st.integers(1, 20_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "text/plain",
            "application/ld+json",
        ]
    ),
)
def test_any_bytes_get_an_answer_not_a_5xx(post, body, content_type):
    assert post(body, content_type, HTTP_ACCEPT="application/json") < 500
