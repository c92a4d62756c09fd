"""The API's answers of a lead: each with its source and the question as
asked, the latest first, whichever way it arrived (form, import, a rep)."""

import pytest
import time_machine

from crm import capture, ledger
from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_answers_from_a_form_show_their_source_and_wording_latest_first(api_as, rep, campaign):
    data = capture.CaptureData(
        email="y@example.jp",
        family_name="山田",
        answers=(ledger.Given("other", "3拠点", asked="拠点数は？"),),
    )
    with time_machine.travel("2026-11-02 10:00 +09:00"):
        handoff = factories.captured_handoff(campaign, data)
    services.claim_handoff(handoff, rep=rep)
    client = api_as(rep)
    url = f"/api/v1/leads/{handoff.lead_id}/answers/"
    created = client.post(
        url,
        {"question": "budget", "answer": "500万円", "source": "call", "asked": "ご予算は？"},
        format="json",
    )
    assert created.status_code == 201, created.content
    listed = client.get(url).json()
    assert [(a["question"], a["asked"], a["source"]) for a in listed] == [
        ("budget", "ご予算は？", "call"),
        ("other", "拠点数は？", "web_form"),
    ]


def test_a_too_long_wording_is_refused_per_field(api_as, marketer):
    lead = factories.lead()
    response = api_as(marketer).post(
        f"/api/v1/leads/{lead.pk}/answers/",
        {"question": "other", "answer": "x", "source": "call", "asked": "q" * 301},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"asked"}
