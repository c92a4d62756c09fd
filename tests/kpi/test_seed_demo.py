"""The demo data gives every page something real to show, once."""

from io import StringIO

import pytest
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
