"""The dashboard says when its figures were last brought up to date, and how often."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from kpi import rollups
from kpi.models import RollupState

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_when_the_figures_were_refreshed(client, manager, time_machine):
    time_machine.move_to(datetime(2026, 11, 27, 1, 5, tzinfo=UTC), tick=False)
    rollups.refresh()
    assert RollupState.objects.get().checked_at == datetime(2026, 11, 27, 1, 5, tzinfo=UTC)
    client.force_login(manager)
    english = client.get(reverse("kpi:dashboard")).content.decode()
    assert (
        "Figures as of 11/27/2026 10:05 a.m.; they are brought up to date every minute" in english
    )
    japanese = client.get(reverse("kpi:dashboard"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "2026/11/27 10:05 時点の数値です。1 分ごとに更新し" in japanese


def test_before_the_first_refresh_the_dashboard_says_so(client, manager, settings):
    client.force_login(manager)
    html = client.get(reverse("kpi:dashboard")).content.decode()
    assert "The figures have not been computed yet" in html
