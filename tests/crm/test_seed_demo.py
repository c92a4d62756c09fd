"""The demo data gives every page something real to show, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from crm.models import Answer, Deal, Lead, LeadScore
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
