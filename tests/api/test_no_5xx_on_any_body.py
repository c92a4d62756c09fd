"""No request body, however malformed, gets a 5xx: generated bodies (raw
bytes, deep nesting, NUL and lone surrogates, huge and non-finite numbers,
the endpoint's own field names with wrong values) posted to every API write
endpoint and to /nurture/collect/. Runs on PostgreSQL too, which refuses NUL
and surrogates where SQLite stores them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Company, Deal
from handoff import services
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

# Text with what databases refuse mixed in.
ODD_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff x", "１２３", " ", "", "2026-02-30"]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=12,
)

# Each endpoint: its path (filled from the fixture's objects) and the fields it reads.
ENDPOINTS: dict[str, tuple[str, str, list[str]]] = {
    "lead-create": ("post", "/api/v1/leads/", ["family_name", "email", "company", "company_name",
                                               "source_campaign", "phone", "title"]),
    "lead-change": ("patch", "/api/v1/leads/{lead}/", ["email", "company", "company_name"]),
    "answer": ("post", "/api/v1/leads/{lead}/answers/", ["question", "answer", "source", "asked"]),
    "company-create": ("post", "/api/v1/companies/", ["name", "domain", "industry"]),
    "company-change": ("patch", "/api/v1/companies/{company}/", ["name", "size_band"]),
    "campaign-create": ("post", "/api/v1/campaigns/", ["name", "channel", "utm_code", "budget",
                                                       "starts_on", "ends_on"]),
    "campaign-change": ("patch", "/api/v1/campaigns/{campaign}/", ["actual_cost", "ends_on"]),
    "activity": ("post", "/api/v1/activities/", ["lead", "kind", "occurred_at", "campaign",
                                                 "details", "external_id"]),
    "batch": ("post", "/api/v1/activities/batch/", ["activities"]),
    "deal-open": ("post", "/api/v1/deals/", ["handoff", "lead", "name", "amount", "stage",
                                             "expected_close_date", "next_step"]),
    "deal-change": ("patch", "/api/v1/deals/{deal}/", ["amount", "probability", "version",
                                                       "expected_close_date", "name"]),
    "deal-move": ("post", "/api/v1/deals/{deal}/move/", ["stage", "from_stage"]),
    "deal-win": ("post", "/api/v1/deals/{deal}/win/", ["close_date", "amount"]),
    "deal-lose": ("post", "/api/v1/deals/{deal}/lose/", ["reason", "note", "close_date"]),
    "deal-reopen": ("post", "/api/v1/deals/{deal}/reopen/", ["stage"]),
    "claim": ("post", "/api/v1/handoffs/{handoff}/claim/", []),
    "reject": ("post", "/api/v1/handoffs/{handoff}/reject/", ["reason", "note"]),
    "reassign": ("post", "/api/v1/handoffs/{handoff}/reassign/", ["rep"]),
    "collect": ("post", "/nurture/collect/", ["v", "u", "t", "i"]),
}  # fmt: skip


def bodies(fields: list[str], lead_id: int) -> st.SearchStrategy[bytes]:
    """Raw bytes, any JSON, deep nesting, or the endpoint's own fields (and
    batch items, on a lead that exists) holding odd values."""
    own = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, JSON_VALUES))
    item_fields = ("email", "occurred_at", "details", "external_id", "campaign")
    items = st.lists(
        st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["page_view", "call", "x"]),
                "lead": st.just(lead_id) | JSON_VALUES,
            },
            optional=dict.fromkeys(item_fields, JSON_VALUES),
        ),
        max_size=3,
    )
    documents = st.one_of(JSON_VALUES, own, st.fixed_dictionaries({"activities": items}))
    return st.one_of(
        st.binary(max_size=64),
        st.integers(min_value=1, max_value=9000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        documents.map(lambda doc: json.dumps(doc, allow_nan=True).encode()),
    )


@pytest.fixture
def world(campaign: Any, rep: User, other_rep: User) -> dict[str, Any]:
    admin = User.objects.create_superuser("fuzz", "fuzz@example.com", "pw")
    handoff = factories.qualified_handoff(campaign)
    claimed = factories.qualified_handoff(campaign)
    services.claim_handoff(claimed, rep=rep)
    return {
        "client": token_client(admin),
        "ids": {
            "lead": handoff.lead_id,
            "company": Company.objects.create(name="青葉商事").pk,
            "campaign": campaign.pk,
            "deal": Deal.objects.create(lead=claimed.lead, name="導入", owner=rep).pk,
            "handoff": handoff.pk,
        },
    }


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_no_body_gets_a_5xx(endpoint: str, world: dict[str, Any]) -> None:
    method, path, fields = ENDPOINTS[endpoint]
    url = path.format(**world["ids"])
    client = world["client"]

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies(fields, world["ids"]["lead"]), text_plain=st.booleans())
    def post(body: bytes, text_plain: bool) -> None:
        cache.clear()  # rate limits and throttles count in the cache
        content_type = "text/plain" if endpoint == "collect" and text_plain else "application/json"
        response = client.generic(method.upper(), url, body, content_type=content_type)
        assert response.status_code < 500, (body[:200], response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json")

    post()
