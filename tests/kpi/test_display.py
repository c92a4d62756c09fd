"""The dashboard's figures as they read: formatted once in Python
(kpi.display), escaped where they hold words, and the same on the page as
the figures the metrics give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from kpi import display, rollups
from kpi.display import value_text
from web.dates import date_writer

pytestmark = pytest.mark.django_db
OCTOBER = {"preset": "custom", "start": "2026-10-01", "end": "2026-10-31"}


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "count", "—"),
        (1234567, "count", "1,234,567"),
        (Decimal(1_000_000), "yen", "¥1,000,000"),
        (Decimal("33.333"), "percent", "33.3%"),
        (Decimal("1340"), "percent", "1,340.0%"),
        (30, "minutes", "≤ 30 min"),
        (90, "minutes", "≤ 1.5 h"),
        (-1, "minutes", "over 30 days"),
        (5, "days", "5 d"),
    ],
)
def test_values_read_in_their_unit(value, unit, text):
    with translation.override("en"):
        assert value_text(value, unit) == text


@pytest.mark.parametrize("language", ["en", "ja"])
def test_short_dates_read_as_django_writes_them(language):
    with translation.override(language):
        for day in (date(2026, 1, 5), date(2026, 12, 31)):
            short = display.get_format("SHORT_DATE_FORMAT")
            assert date_writer(short)(day) == date_format(day, "SHORT_DATE_FORMAT")
        # A format with more than numbers goes through Django.
        assert date_writer("N j, Y")(date(2026, 1, 5)) == date_format(date(2026, 1, 5), "N j, Y")


def test_the_page_shows_the_figures_the_metrics_give(client_as, manager, october):
    rollups.rebuild_all()
    response = client_as(manager).get(reverse("kpi:dashboard"), OCTOBER)
    body = response.content.decode()
    board = response.context["board"]
    for figure in board.figures:
        key = figure.definition.key
        shown = value_text(figure.value, figure.definition.unit)
        assert f'data-testid="kpi-{key}-value">{shown}<' in body.replace("&amp;", "&")
    # The campaign row: leads 2, MQLs 2, won 1, cost ¥100,000, won revenue ¥1,000,000, ROI 900%.
    assert "秋の展示会" in body and "¥1,000,000" in body and "900.0%" in body
    assert "2026/10/31" in body or "10/31/2026" in body  # the daily table, newest first
    assert "Suzuki" in body or october.rep.last_name in body


def test_names_are_escaped_in_the_tables(client_as, manager, october):
    october.a.name = '<img src=x onerror="alert(1)">'
    october.a.save(update_fields=["name"])
    october.rep.first_name = "<b>Rep</b>"
    october.rep.save(update_fields=["first_name"])
    rollups.rebuild_all()
    body = client_as(manager).get(reverse("kpi:dashboard"), OCTOBER).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x" in body
    assert "<b>Rep</b>" not in body and "&lt;b&gt;Rep&lt;/b&gt;" in body


def test_the_rollups_are_read_in_one_statement(client_as, manager, october):
    rollups.rebuild_all()
    client = client_as(manager)
    for params in (OCTOBER, {**OCTOBER, "campaign": october.a.pk, "rep": october.rep.pk}):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("kpi:dashboard"), params).status_code == 200
        reads = [q for q in ctx.captured_queries if "kpi_dailyrollup" in q["sql"]]
        assert len(reads) == 1
