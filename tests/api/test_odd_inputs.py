"""Inputs schemathesis found answering 500: each is now a clear 4xx."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_time_zone_offset_postgresql_refuses_is_taken_to_utc(api_as, marketer):
    client = api_as(marketer)
    answer = client.get("/api/v1/activities/", {"occurred_from": "2026-01-05T20:00:11+18:46"})
    assert answer.status_code == 200, answer.content
    # Before the year 1 in UTC: the calendar's first moment, so nothing is earlier.
    too_early = client.get("/api/v1/activities/", {"occurred_to": "0001-01-01T00:00:00+18:46"})
    assert too_early.status_code == 200
    assert too_early.json()["results"] == []


@pytest.mark.parametrize("value", ["18980013642197385216", "-5", "0", "1.5", "x"])
def test_an_id_filter_takes_only_an_id(api_as, marketer, value):
    answer = api_as(marketer).get("/api/v1/leads/", {"campaign": value})
    assert answer.status_code == 400
    assert set(answer.json()) == {"campaign"}


def test_an_id_nobody_has_filters_to_an_empty_page(api_as, marketer, campaign):
    factories.lead(source_campaign=campaign)
    answer = api_as(marketer).get("/api/v1/leads/", {"campaign": campaign.pk + 1000})
    assert answer.status_code == 200
    assert answer.json()["results"] == []


def test_an_id_that_is_not_a_number_is_a_json_404(api_as, rep):
    answer = api_as(rep).post("/api/v1/handoffs/null,null/claim/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}
