"""The context package: what marketing learned travels with the handoff."""

import pytest
from django.utils import translation

from crm import services as crm
from crm.models import Activity, Answer, Company
from handoff import context, mql
from handoff.models import Handoff, HandoffPolicy
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_package_carries_what_marketing_learned(campaign, rep):
    company = Company.objects.create(name="青葉商事", industry="it", size_band="300-999")
    lead = factories.lead(company=company, source_campaign=campaign)
    crm.record_activity(
        lead,
        kind=Activity.Kind.FORM_SUBMIT,
        campaign=campaign,
        details={"form": {"message": "資料"}},
    )
    Answer.objects.create(lead=lead, question="budget", answer="500万円", source="web_form")
    earlier = Handoff.objects.create(
        lead=lead,
        status=Handoff.Status.REJECTED,
        claimed_by=rep,
        reject_reason=Handoff.RejectReason.BAD_TIMING,
        reject_note="来期に再検討",
    )

    package = context.build(lead)

    assert package["campaign"]["name"] == "Spring webinar"
    assert package["company"]["name"] == "青葉商事"
    assert package["activities"][0]["kind"] == "form_submit"
    assert package["activities"][0]["text"] == "資料"
    assert package["answers"][0]["answer"] == "500万円"
    assert package["answers"][0]["source"] == "web_form"
    assert package["earlier_handoffs"][0]["reject_reason"] == "bad_timing"
    assert package["earlier_handoffs"][0]["rep"] == "Taro Suzuki"
    assert "fit" in package["scores"] and "rules" in package["scores"]
    assert earlier.pk  # the earlier one is history, not the new handoff


def test_presented_in_the_viewers_language(campaign, rep):
    lead = factories.lead(source_campaign=campaign)
    crm.record_activity(lead, kind=Activity.Kind.DOWNLOAD, campaign=campaign)
    stored = context.build(lead)
    with translation.override("ja"):
        shown = context.present(stored)
    assert shown.activities[0].label == "資料ダウンロード"
    assert shown.campaign == "Spring webinar"
    assert shown.activities[0].at is not None


def test_a_new_handoff_keeps_its_package(campaign, rep):
    lead = factories.lead(
        source_campaign=campaign, engagement_score=HandoffPolicy.current().engagement_threshold
    )
    Answer.objects.create(lead=lead, question="timeline", answer="3月", source="call")
    handoff = mql.hand_off_if_qualified(lead)
    assert handoff is not None
    assert handoff.context["answers"][0]["answer"] == "3月"
    assert handoff.context["campaign"]["name"] == "Spring webinar"
