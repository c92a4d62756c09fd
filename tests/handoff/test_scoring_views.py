"""Scoring rules in the browser: preview before saving, save rescores, permissions."""

import pytest
from django.urls import reverse

from crm.models import Activity, RescoreJob, ScoringRule
from tests import factories

pytestmark = pytest.mark.django_db

NEW_RULE = {
    "name_en": "Pricing page",
    "dimension": "engagement",
    "condition": "activity",
    "kind": "page_view",
    "url_contains": "/pricing",
    "points": "60",
    "cap": "",
    "half_life_days": "30",
    "is_active": "on",
}


def test_rules_page_lists_fit_and_engagement_rules(client_as, marketer):
    page = client_as(marketer).get(reverse("handoff:scoring_rules")).content.decode()
    assert "Decision maker by title" in page and "Form submitted" in page


def test_preview_counts_the_mqls_the_rule_would_make_and_saves_nothing(client_as, marketer, rep):
    lead = factories.lead()
    Activity.objects.create(lead=lead, kind="page_view", details={"url": "https://x.jp/pricing"})
    response = client_as(marketer).post(
        reverse("handoff:scoring_rule_create"), {**NEW_RULE, "preview": "1"}
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.mql_now, preview.mql_after) == (0, 1)
    assert preview.entering == [lead]
    assert not ScoringRule.objects.filter(name_en="Pricing page").exists()
    assert not RescoreJob.objects.exists()


def test_saving_a_rule_queues_a_rescore(client_as, marketer):
    response = client_as(marketer).post(
        reverse("handoff:scoring_rule_create"), {**NEW_RULE, "save": "1"}
    )
    assert response.status_code == 302
    assert ScoringRule.objects.filter(name_en="Pricing page", position__gt=0).exists()
    assert RescoreJob.objects.get().created_by == marketer


def test_a_rule_must_make_sense(client_as, marketer):
    bad = {**NEW_RULE, "dimension": "fit", "points": "0", "kind": ""}
    response = client_as(marketer).post(
        reverse("handoff:scoring_rule_create"), {**bad, "save": "1"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"condition", "kind", "points"}


def test_disable_and_reorder(client_as, marketer):
    client = client_as(marketer)
    first, second = ScoringRule.objects.filter(dimension="engagement")[:2]
    client.post(reverse("handoff:scoring_rule_toggle", args=[first.pk]))
    first.refresh_from_db()
    assert not first.is_active and RescoreJob.objects.count() == 1
    client.post(reverse("handoff:scoring_rule_move", args=[second.pk, "up"]))
    assert list(
        ScoringRule.objects.filter(dimension="engagement").values_list("pk", flat=True)[:2]
    ) == [
        second.pk,
        first.pk,
    ]


def test_reps_cannot_change_rules(client_as, rep):
    rule = ScoringRule.objects.first()
    client = client_as(rep)
    assert client.get(reverse("handoff:scoring_rules")).status_code == 403
    assert client.post(reverse("handoff:scoring_rule_toggle", args=[rule.pk])).status_code == 403
