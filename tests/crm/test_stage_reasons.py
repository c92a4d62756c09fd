"""Why a lead changed stage is kept as a code and worded in the reader's language."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from crm.models import Lead, StageChange
from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_stage_history_words_each_reason_in_the_readers_language(client_as, rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert services.accept_handoff(handoff, rep=rep)
    reasons = list(
        StageChange.objects.filter(lead=handoff.lead_id).values_list("reason", flat=True)
    )
    assert reasons[-1] == StageChange.Reason.ACCEPTED
    client = client_as(rep)
    url = reverse("crm:lead_detail", args=[handoff.lead_id])
    assert "(Accepted by sales)" in client.get(url).content.decode()
    client.cookies["django_language"] = "ja"
    assert "(営業が受け入れ)" in client.get(url).content.decode()


def test_the_phrases_stored_before_become_codes():
    lead = factories.lead()
    rows = [
        StageChange.objects.create(lead=lead, to_stage=Lead.Stage.MQL, reason=phrase)
        for phrase in ["score crossed the handoff threshold", "rejected: bad_timing", "leads.csv"]
    ]
    migration = importlib.import_module("crm.migrations.0021_stage_reason_codes")
    migration.to_codes(apps, None)
    assert [StageChange.objects.get(pk=row.pk).reason for row in rows] == [
        "score_crossed",
        "rejected: bad_timing",  # the reject reason's code kept
        "leads.csv",  # an import's source stays as it was
    ]
