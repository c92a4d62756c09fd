"""The demo data gives every page something real to show, once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from crm.models import Answer, Deal, Lead, LeadScore
from handoff import mql
from handoff.models import Handoff, SlaDeadline

pytestmark = pytest.mark.django_db


def test_demo_data_has_every_handoff_state_and_loads_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "marketer" in out.getvalue() and "baton-demo" in out.getvalue()
    assert set(Handoff.objects.values_list("status", flat=True)) >= {
        "queued", "claimed", "accepted", "rejected", "qualified",
    }  # fmt: skip
    assert SlaDeadline.objects.filter(kind="first_touch").count() == Handoff.objects.count()
    assert Handoff.objects.filter(first_touch_at__isnull=False, rep_delay__isnull=False).exists()
    assert Deal.objects.exists() and Answer.objects.filter(source="web_form").exists()
    assert LeadScore.objects.count() == Lead.objects.count()
    assert all(h.context.get("scores") for h in Handoff.objects.all()[:20])
    leads = Lead.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Lead.objects.count() == leads


def test_demo_data_is_what_the_product_could_have_produced(time_machine):
    """A rescore right after seeding hands off nobody and withdraws nothing:
    every waiting handoff's lead qualifies today, and no lead that qualifies
    is left without one (out of a rejection's cooldown)."""
    from crm import rescore
    from crm.models import ScoringRule
    from handoff.models import HandoffPolicy

    time_machine.move_to("2026-11-27 10:00 +09:00", tick=False)
    call_command("seed_demo", stdout=StringIO())
    policy = HandoffPolicy.current()
    waiting = Handoff.objects.filter(status="queued").select_related("lead__score")
    assert waiting.exists()
    assert all(policy.qualifies(h.lead) for h in waiting)
    assert Handoff.objects.filter(status="withdrawn").exists()
    rescore.rescore_all(ScoringRule.objects.active().snapshot(), now=timezone.now())
    assert mql.sync_mql_stage() == (0, 0)


def test_the_first_look_at_the_dashboard_shows_deals_won_lost_and_forecast(client):
    """Deals at every stage, won and lost with reasons: the dashboard's first
    look shows won revenue, a ROI, a win rate, lost reasons and a forecast."""
    from crm.models import DealStage
    from kpi import rollups

    call_command("seed_demo", stdout=StringIO())
    used = set(Deal.objects.values_list("stage_id", flat=True))
    assert used == set(DealStage.objects.values_list("pk", flat=True))  # every stage
    lost = Deal.objects.filter(status="lost")
    assert lost.exists() and all(d.lost_reason_id and d.lost_note for d in lost)
    assert Deal.objects.filter(status="open", expected_close_date__isnull=False).exists()
    rollups.rebuild_all()
    client.force_login(get_user_model().objects.get(username="manager"))
    response = client.get("/kpi/", {"preset": "last_90_days"})
    values = response.context["board"].values()
    assert values["won_revenue"] > 0 and values["roi"] is not None and values["roi"] != 0
    assert 0 < values["win_rate"] < 100 and values["sales_cycle"] > 0
    board = response.context["board"]
    assert board.lost_reasons and sum(row.weighted for row in board.forecast) > 0
    body = response.content.decode()
    assert 'data-testid="kpi-won_revenue-value">¥0<' not in body
    assert 'data-testid="kpi-roi-value">—<' not in body


def test_demo_leads_carry_the_basis_their_campaign_obtained_and_segments_use_them():
    from crm.models import Consent
    from nurture.models import Segment

    call_command("seed_demo", stdout=StringIO())
    cards = Consent.objects.filter(basis=Consent.Basis.WRITTEN_NOTICE)
    assert cards.exists() and all(c.obtained_on and c.recorded_by_id for c in cards[:20])
    assert set(cards.values_list("lead__source_campaign__channel", flat=True)) <= {
        "exhibition", "seminar",
    }  # fmt: skip
    assert Lead.objects.with_marketing_consent().count() < Lead.objects.count()
    booth = Segment.objects.get(consent_bases=[Consent.Basis.WRITTEN_NOTICE])
    assert 0 < booth.reachable().count() <= booth.leads().count()
    newsletter = Segment.objects.get(consent_bases=[Consent.Basis.CONSENT])
    assert (
        newsletter.reachable().count()
        == Lead.objects.with_marketing_consent(bases=[Consent.Basis.CONSENT]).count()
    )
