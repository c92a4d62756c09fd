"""GET /api/v1/kpis/ gives the dashboard's figures; reps get their own row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi import metrics, rollups
from tests.kpi.conftest import EXPECTED_OCTOBER, OCTOBER

pytestmark = pytest.mark.django_db
PARAMS = {"preset": "custom", "start": "2026-10-01", "end": "2026-10-31"}
URL = "/api/v1/kpis/"


@pytest.fixture
def built(october):
    rollups.rebuild_all()
    return october


def test_the_api_gives_the_dashboards_figures(api_as, manager, built):
    body = api_as(manager).get(URL, PARAMS).json()
    assert body["scope"] == "all" and (body["start"], body["end"]) == ("2026-10-01", "2026-10-31")
    figures = {f["key"]: f["value"] for f in body["figures"]}
    assert figures == {k: (None if v is None else float(v)) for k, v in EXPECTED_OCTOBER.items()}
    mqls = next(f for f in body["figures"] if f["key"] == "mqls")
    assert mqls["definition"] == str(metrics.DEFINITIONS["mqls"].formula)
    assert [s["count"] for s in body["cohort_funnel"]] == [3, 3, 3, 1, 1]
    assert {c["name"] for c in body["campaigns"]} == {"秋の展示会", "メルマガ", ""}
    assert len(body["daily"]) == 31
    board = metrics.dashboard(OCTOBER, metrics.Filters())
    assert [r["rep"] for r in body["reps"]] == [r.rep_id for r in board.reps]


def test_the_api_filters_as_the_page_does(api_as, marketer, built):
    body = api_as(marketer).get(URL, {**PARAMS, "campaign": built.a.pk}).json()
    assert {f["key"]: f["value"] for f in body["figures"]}["leads"] == 2


def test_bad_filters_answer_400_by_field_and_422_for_the_period(api_as, manager, built):
    client = api_as(manager)
    response = client.get(URL, {"preset": "custom", "start": "2026-10-31", "end": "2026-10-01"})
    assert response.status_code == 422  # each date is a date; together they are no period
    assert "cannot end before" in response.json()["detail"]
    assert client.get(URL, {"preset": "custom", "end": "2026-10-01"}).status_code == 422
    assert client.get(URL, {"start": "2026-10-01", "end": "9999-12-31"}).status_code == 422
    for bad in ({"campaign": "x"}, {"campaign": "1.0"}, {"start": ""}, {"start": "20261001"}):
        response = client.get(URL, bad)
        assert response.status_code == 400, bad
        assert set(response.json()) == set(bad)


def test_dates_alone_make_a_custom_period(api_as, manager, built):
    body = api_as(manager).get(URL, {"start": "2026-10-01", "end": "2026-10-31"}).json()
    assert (body["start"], body["end"]) == ("2026-10-01", "2026-10-31")


def test_an_id_nobody_has_gives_empty_figures_not_an_error(api_as, manager, built):
    client = api_as(manager)
    response = client.get(URL, {**PARAMS, "campaign": 10**9})
    assert response.status_code == 200
    assert {f["key"]: f["value"] for f in response.json()["figures"]}["leads"] == 0
    by_rep = client.get(URL, {**PARAMS, "rep": 10**9})
    assert by_rep.status_code == 200 and by_rep.json()["reps"] == []


def test_a_rep_gets_their_own_row_only_whatever_the_filters(api_as, rep, other_rep, built):
    body = api_as(rep).get(URL, {**PARAMS, "rep": other_rep.pk}).json()
    assert body["scope"] == "own"
    assert [r["rep"] for r in body["reps"]] == [rep.pk]
    assert body["reps"][0]["claimed"] == 2
    assert body["figures"] == body["campaigns"] == body["daily"] == []
    assert api_as(other_rep).get(URL, PARAMS).json()["reps"] == []


def test_the_api_query_count_does_not_grow(api_as, manager, built):
    client = api_as(manager)
    client.get(URL, PARAMS)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, PARAMS)
    rollups.rebuild_all()  # same rows again: the count must not depend on what it found
    with CaptureQueriesContext(connection) as again:
        client.get(URL, {**PARAMS, "start": "2026-09-01"})
    assert len(again) == len(few)
