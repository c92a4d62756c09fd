"""The dashboard, its CSV, the definitions, targets and a rep's own figures
through the test client: who sees what."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kpi import rollups
from kpi.definitions import DEFINITIONS
from kpi.models import Target

pytestmark = pytest.mark.django_db
OCTOBER = {"preset": "custom", "start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def built(october):
    rollups.rebuild_all()
    return october


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_managers_and_marketers_read_the_dashboard(request, client_as, built, role):
    response = client_as(request.getfixturevalue(role)).get(reverse("kpi:dashboard"), OCTOBER)
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["board"].values()["mqls"] == 4
    assert str(DEFINITIONS["mqls"].formula) in body  # each figure beside its definition
    assert "秋の展示会" in body and 'data-testid="reps"' in body


def test_reps_do_not_read_the_shared_dashboard_but_their_own_row(client_as, built, rep, other_rep):
    assert client_as(rep).get(reverse("kpi:dashboard")).status_code == 403
    assert client_as(rep).get(reverse("kpi:export")).status_code == 403
    mine = client_as(rep).get(reverse("kpi:mine"), OCTOBER)
    assert mine.status_code == 200
    row = mine.context["row"]
    assert (row.rep_id, row.claimed, row.accepted, row.rejected, row.won) == (rep.pk, 2, 1, 1, 1)
    # other_rep claimed nothing: their page shows their own (empty) row, never rep's.
    theirs = client_as(other_rep).get(reverse("kpi:mine"), OCTOBER)
    assert theirs.context["row"] is None
    assert "Suzuki" not in theirs.content.decode()
    # The top bar leads reps to their own page, not to the shared dashboard.
    assert f'href="{reverse("kpi:mine")}"' in mine.content.decode()
    assert f'href="{reverse("kpi:dashboard")}"' not in mine.content.decode()


def test_managers_cannot_use_the_reps_page_and_marketers_cannot_set_targets(
    client_as, manager, marketer
):
    assert client_as(manager).get(reverse("kpi:mine")).status_code == 403
    assert client_as(marketer).get(reverse("kpi:targets")).status_code == 403
    assert client_as(marketer).post(reverse("kpi:targets"), {}).status_code == 403


def test_filters_by_campaign_channel_and_rep(client_as, manager, built):
    client = client_as(manager)
    by_campaign = client.get(reverse("kpi:dashboard"), {**OCTOBER, "campaign": built.a.pk})
    assert by_campaign.context["board"].values()["leads"] == 2
    by_channel = client.get(reverse("kpi:dashboard"), {**OCTOBER, "channel": "email"})
    assert by_channel.context["board"].values()["leads"] == 1
    by_rep = client.get(reverse("kpi:dashboard"), {**OCTOBER, "rep": built.other_rep.pk})
    assert by_rep.context["board"].values()["sqls"] == 2


def test_a_bad_filter_is_explained_and_ignored(client_as, manager, built):
    response = client_as(manager).get(reverse("kpi:dashboard"), {"campaign": "999999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["board"].filters.campaigns is None


def test_csv_export_has_a_bom_and_neutralised_cells(client_as, manager, built):
    built.a.name = '=HYPERLINK("http://x")'
    built.a.save(update_fields=["name"])
    response = client_as(manager).get(reverse("kpi:export"), OCTOBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="kpis-20261001-20261031.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["KPIs", "mqls", "MQLs", "4", "", "", "count"] in rows
    Target.objects.create(kpi="mqls", span="month", month=date(2026, 10, 1), value=10)
    rows = list(
        csv.reader(
            io.StringIO(
                client_as(manager).get(reverse("kpi:export"), OCTOBER).content.decode("utf-8-sig")
            )
        )
    )
    # A negative gap is a number, not a neutralised formula.
    assert ["KPIs", "mqls", "MQLs", "4", "10.00", "-6.00", "count"] in rows
    names = {row[1] for row in rows if row[0] == "Campaigns"}
    assert '\'=HYPERLINK("http://x")' in names and '=HYPERLINK("http://x")' not in names


def test_definitions_page_lists_every_kpi(client_as, marketer, rep, manager):
    for user in (marketer, rep, manager):
        response = client_as(user).get(reverse("kpi:definitions"))
        assert response.status_code == 200
        for definition in DEFINITIONS.values():
            assert str(definition.formula) in response.content.decode()


def test_manager_sets_a_target_and_the_dashboard_shows_target_and_gap(client_as, manager, built):
    client = client_as(manager)
    response = client.post(
        reverse("kpi:targets"), {"kpi": "mqls", "span": "month", "month": "2026-10", "value": "10"}
    )
    assert response.status_code == 302
    assert Target.objects.get().month == date(2026, 10, 1)
    # Setting it again replaces it.
    client.post(
        reverse("kpi:targets"), {"kpi": "mqls", "span": "month", "month": "2026-10", "value": "5"}
    )
    figure = client.get(reverse("kpi:dashboard"), OCTOBER).context["board"].figure("mqls")
    assert (figure.value, figure.target, figure.gap, figure.on_track) == (
        4, Decimal(5), Decimal(-1), False,
    )  # fmt: skip


def target(kpi: str = "mqls", span: str = "month", month: str = "2026-11", value: str = "1"):
    return {"kpi": kpi, "span": span, "month": month, "value": value}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (target(span="quarter"), "month", "A quarter starts"),
        (target(kpi="sla_compliance", value="120"), "value", "above 100"),
        (target(value="-1"), "value", "greater than or equal to 0"),
        (target(kpi="nonsense"), "kpi", "valid choice"),
        (target(month="soon"), "month", "valid date"),
    ],
)
def test_bad_targets_are_refused_clearly(client_as, manager, data, field, message):
    response = client_as(manager).post(reverse("kpi:targets"), data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Target.objects.exists()


def test_targets_apply_to_their_month_or_quarter(db):
    from kpi.metrics import Period, targets_for

    Target.objects.create(kpi="mqls", span="month", month=date(2026, 10, 1), value=10)
    Target.objects.create(kpi="mqls", span="month", month=date(2026, 11, 1), value=20)
    Target.objects.create(kpi="leads", span="quarter", month=date(2026, 10, 1), value=300)
    Target.objects.create(kpi="speed_p50", span="month", month=date(2026, 10, 1), value=30)
    Target.objects.create(kpi="speed_p50", span="month", month=date(2026, 11, 1), value=30)
    october = targets_for(Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert october == {"mqls": 10, "leads": 300, "speed_p50": 30}
    two_months = targets_for(Period(date(2026, 10, 1), date(2026, 11, 30)))
    # Counts add up over months; a median does not.
    assert two_months == {"mqls": 30, "leads": 300}
    assert targets_for(Period(date(2026, 10, 1), date(2026, 12, 31))) == {"leads": 300}
