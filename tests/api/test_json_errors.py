"""Under /api/ every error is JSON, and no body, however malformed or large,
gets a 5xx or an HTML page."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH
from tests import factories

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/activities/batch/"


def _is_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and body
    return body


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/leads/null,null/",
        "/api/v1/leads/%C2%84/answers/",
        "/api/v1/handoffs/x/claim/",
        "/api/nowhere",
    ],
)
def test_an_unknown_path_under_api_is_a_json_404(api_as, marketer, settings, debug, path):
    settings.DEBUG = debug  # Django's debug 404 page is HTML too
    body = _is_json_error(api_as(marketer).get(path), 404)
    assert body == {"detail": "Not found."}


def test_an_unknown_path_elsewhere_keeps_the_html_page(client, marketer):
    client.force_login(marketer)
    response = client.get("/crm/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_the_route_does_not_take_is_a_json_405_with_allow(api_as, marketer):
    lead = factories.lead()
    response = api_as(marketer).delete(f"/api/v1/leads/{lead.pk}/")
    _is_json_error(response, 405)
    assert "PATCH" in response["Allow"] and "DELETE" not in response["Allow"]


def test_an_unexpected_exception_is_a_json_500(api_as, marketer, monkeypatch, settings):
    from api.leads import LeadViewSet

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(LeadViewSet, "list", explode)
    client = api_as(marketer)
    client.raise_request_exception = False
    for debug in (False, True):
        settings.DEBUG = debug
        body = _is_json_error(client.get("/api/v1/leads/"), 500)
        assert "boom" not in json.dumps(body)


def test_a_session_call_without_the_csrf_token_is_a_json_403(marketer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)
    body = _is_json_error(client.post("/api/v1/companies/", {"name": "山田商事"}), 403)
    assert "CSRF" in body["detail"]


def test_a_form_post_is_a_json_415(marketer):
    client = Client()
    client.force_login(marketer)
    response = client.post("/api/v1/companies/", {"name": "山田商事"})  # form data
    _is_json_error(response, 415)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 7000 + b"]" * 7000,  # RecursionError inside the parser, before
        b'{"activities": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}",
        b'{"activities": [{"kind": "call", "lead": 1e400}]}',
        b'{"activities": NaN}',
        b"\xff\xfe{}",
        b'{"activities": [',
    ],
)
def test_a_body_that_is_not_json_the_api_reads_is_a_json_400(api_as, marketer, body):
    response = api_as(marketer).generic("POST", BATCH, body, content_type="application/json")
    _is_json_error(response, 400)


def test_a_body_beyond_the_limit_is_a_json_413_before_it_is_read(api_as, marketer, settings):
    settings.BATON_API_MAX_BODY_BYTES = 1000
    body = json.dumps({"activities": [{"kind": "page_view", "lead": 1}] * 100}).encode()
    response = api_as(marketer).generic("POST", BATCH, body, content_type="application/json")
    detail = _is_json_error(response, 413)["detail"]
    assert "1,000" in detail


def test_a_full_batch_of_3_mb_is_read_although_django_reads_2_5_mib(api_as, marketer, settings):
    lead = factories.lead(email="big@example.jp")
    items = [
        {"lead": lead.pk, "kind": "page_view", "details": {"url": "/" + "x" * 3000},
         "external_id": f"big-{i}"}
        for i in range(1000)
    ]  # fmt: skip
    body = json.dumps({"activities": items}).encode()
    assert len(body) > 3_000_000 > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_as(marketer).generic("POST", BATCH, body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 1000


def test_nul_and_lone_surrogates_are_refused_item_by_item(api_as, marketer):
    lead = factories.lead()
    items = [
        {"lead": lead.pk, "kind": "page_view", "details": {"title": "料金\u0000"}},
        {"lead": lead.pk, "kind": "page_view", "details": {"\u0000key": 1}},
        {"lead": lead.pk, "kind": "page_view", "external_id": "x\ud800"},
        {"lead": lead.pk, "kind": "page_view", "details": {"title": "料金"}},
    ]
    # ensure_ascii: the wire carries \u0000 and \ud800, as a client's JSON would.
    body = json.dumps({"activities": items}).encode()
    response = api_as(marketer).generic("POST", BATCH, body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "created"]
    assert set(results[0]["errors"]) == {"details"} and set(results[2]["errors"]) == {"external_id"}


def test_an_error_quoting_a_lone_surrogate_is_still_json(api_as, marketer):
    body = json.dumps({"lead": 1, "kind": "\ud800"}).encode()
    response = api_as(marketer).generic(
        "POST", "/api/v1/activities/", body, content_type="application/json"
    )
    body = _is_json_error(response, 400)
    assert "kind" in body
