"""The handoff page and the lead page mark what the customer already
answered (the answer, its source and time) and list what is still to ask."""

import pytest
import time_machine
from django.urls import reverse

from crm import capture, ledger
from crm.models import Answer
from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(rep, campaign):
    """A lead who answered two questions on the form, claimed by `rep`."""
    data = capture.CaptureData(
        email="yamada@example.jp",
        family_name="山田",
        answers=(
            ledger.Given("budget", "500万円"),
            ledger.Given("other", "3拠点", asked="導入予定の拠点数は？"),
        ),
    )
    with time_machine.travel("2026-11-02 10:30 +09:00", tick=False):
        handoff = factories.captured_handoff(campaign, data)
    assert services.claim_handoff(handoff, rep=rep)
    return handoff


def ledger_html(html: str) -> str:
    start = html.index('data-testid="ledger"')
    return html[start : html.index("</div>\n", html.index('data-testid="to-ask"'))]


@pytest.mark.parametrize(
    ("language", "marks"),
    [
        ("en", ["Already answered", "Budget", "Answered via Web form on", "Still to ask:"]),
        ("ja", ["回答済み", "予算", "Webフォーム", "まだ聞いていない質問:"]),
    ],
)
def test_the_handoff_page_marks_answered_questions(client, rep, captured, language, marks):
    client.force_login(rep)
    html = client.get(
        reverse("handoff:detail", args=[captured.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    part = ledger_html(html)
    for mark in [*marks, "500万円", "導入予定の拠点数は？", "3拠点"]:
        assert mark in part
    assert part.count('data-testid="answered-question"') == 2
    to_ask = part[part.index('data-testid="to-ask"') :]
    assert ("Budget" if language == "en" else "予算") not in to_ask
    assert ("Timeline" if language == "en" else "導入時期") in to_ask


def test_the_lead_page_shows_the_latest_answer_first_with_the_earlier_one(
    client, marketer, captured
):
    lead = captured.lead
    with time_machine.travel("2026-11-09 10:00 +09:00", tick=False):
        ledger.add_answers(lead, [ledger.Given("budget", "800万円")], source="call")
    client.force_login(marketer)
    html = client.get(lead.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    part = ledger_html(html)
    assert part.index("800万円") < part.index("500万円") < part.index("3拠点")
    assert "1 earlier answer" in part
    assert "Answered via Call on" in part


def test_the_answer_form_marks_answered_questions(client, rep, captured):
    client.force_login(rep)
    html = client.get(
        reverse("handoff:detail", args=[captured.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert ">Budget ✓</option>" in html and ">Timeline</option>" in html


def test_answers_are_escaped(client, rep, captured):
    Answer.objects.create(
        lead=captured.lead, question="other", asked="<b>q</b>", answer="<script>x</script>",
        source="web_form",
    )  # fmt: skip
    client.force_login(rep)
    html = client.get(reverse("handoff:detail", args=[captured.pk])).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>q</b>" not in html


def test_a_lead_without_answers_lists_every_standard_question_to_ask(client, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=rep)
    client.force_login(rep)
    html = client.get(
        reverse("handoff:detail", args=[handoff.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    part = ledger_html(html)
    assert "No answers recorded yet: ask, then record them below." in part
    assert "Budget · Decision authority · Need · Timeline · Current tool · Headcount" in part
