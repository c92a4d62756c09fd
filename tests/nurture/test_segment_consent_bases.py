"""Segments choose the consent bases their sends may use (issue 20 item 1,
特定電子メール法 art. 3): the page counts who is reachable on each basis,
the send honours the choice, and nobody reachable is said before and after."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import LanguagePreference
from crm.models import Consent, Lead
from nurture import sending
from nurture.models import Delivery, Segment, Send
from tests import factories
from tests.nurture.conftest import email, segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sends")]

B = Consent.Basis


def with_basis(basis: str, *more: str, withdrawn: bool = False) -> Lead:
    lead = factories.lead()
    for b in (basis, *more):
        Consent.objects.create(
            lead=lead, basis=b, withdrawn_at=lead.created_at if withdrawn else None
        )
    return lead


@pytest.fixture
def people() -> dict[str, Lead]:
    return {
        "opt_in": with_basis(B.CONSENT),
        "card": with_basis(B.WRITTEN_NOTICE),
        "customer": with_basis(B.BUSINESS_RELATIONSHIP),
        "published": with_basis(B.PUBLISHED_FOR_BUSINESS),
        "card_and_opt_in": with_basis(B.WRITTEN_NOTICE, B.CONSENT),
        "withdrawn_card": with_basis(B.WRITTEN_NOTICE, withdrawn=True),
        "nothing": factories.lead(),
    }


def test_a_new_segment_may_use_every_basis_and_existing_ones_kept_theirs():
    assert Segment(name="x").consent_bases == list(B.values)


def test_the_marketer_chooses_the_bases_on_the_segment_form(client_as, marketer):
    client = client_as(marketer)
    form = client.get(reverse("nurture:segment_create")).content.decode()
    assert form.count('name="consent_bases"') == len(B.values)
    assert form.count("checked") >= len(B.values)  # every basis offered, all ticked
    response = client.post(
        reverse("nurture:segment_create"),
        {"name": "Cards", "consent_bases": [B.WRITTEN_NOTICE, B.CONSENT]},
    )
    assert response.status_code == 302
    assert Segment.objects.get().consent_bases == [B.CONSENT, B.WRITTEN_NOTICE]


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Choose at least one consent basis."), ("ja", "取得根拠を1つ以上選んでください。")],
)
def test_a_segment_needs_one_basis_at_least(client_as, marketer, language, message):
    LanguagePreference.objects.create(user=marketer, language=language)
    response = client_as(marketer).post(reverse("nurture:segment_create"), {"name": "None"})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Segment.objects.exists()


def test_only_leads_of_the_chosen_bases_are_reachable(people):
    cards = segment()
    cards.consent_bases = [B.WRITTEN_NOTICE]
    assert set(cards.reachable()) == {people["card"], people["card_and_opt_in"]}
    cards.consent_bases = [B.BUSINESS_RELATIONSHIP, B.PUBLISHED_FOR_BUSINESS]
    assert set(cards.reachable()) == {people["customer"], people["published"]}
    cards.consent_bases = list(B.values)
    assert cards.reachable().count() == 5


def test_the_segment_page_counts_the_reachable_per_basis(client_as, marketer, people):
    seg = segment()
    seg.consent_bases = [B.WRITTEN_NOTICE, B.CONSENT]
    seg.save()
    response = client_as(marketer).get(seg.get_absolute_url())
    rows = {str(label): (count, chosen) for label, count, chosen in response.context["by_basis"]}
    assert rows["Opt-in"] == (2, True)
    assert rows["Address given in writing (business card)"] == (2, True)  # not the withdrawn one
    assert rows["Business relationship"] == (1, False)
    assert rows["Address published for business"] == (1, False)
    assert response.context["count"] == 7
    assert response.context["contactable"] == 3  # opt-in, card, card and opt-in once
    assert 'data-testid="segment-bases"' in response.content.decode()


def test_the_segment_page_in_japanese_names_the_bases(client_as, marketer, people):
    LanguagePreference.objects.create(user=marketer, language="ja")
    page = client_as(marketer).get(segment().get_absolute_url()).content.decode()
    assert "取得根拠別の配信可能数" in page and "書面による通知（名刺交換）" in page


def test_a_send_honours_the_bases_chosen_when_it_started(marketer, people):
    seg = segment()
    seg.consent_bases = [B.WRITTEN_NOTICE]
    seg.save()
    send = sending.start_send(email(marketer), segment=seg, by=marketer)
    seg.consent_bases = list(B.values)  # widened after the start: not this send's choice
    seg.save()
    sending.run(send.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people["card"].email, people["card_and_opt_in"].email]
    )
    send.refresh_from_db()
    assert send.consent_bases == [B.WRITTEN_NOTICE]
    assert Delivery.objects.filter(send=send, status=Delivery.Status.SKIPPED).count() == 5


def test_the_confirmation_counts_and_names_the_chosen_bases(client_as, marketer, people):
    seg = segment()
    seg.consent_bases = [B.BUSINESS_RELATIONSHIP]
    seg.save()
    mail_ = email(marketer)
    url = reverse("nurture:email_send", args=[mail_.pk])
    response = client_as(marketer).post(url, {"segment": seg.pk})
    assert response.context["reachable"] == 1
    assert "Business relationship" in response.content.decode()
    response = client_as(marketer).post(url, {"segment": seg.pk, "confirmed": "1"})
    send = Send.objects.get()
    assert response["Location"] == send.get_absolute_url()
    sending.run(send.pk)
    assert [m.to[0] for m in mail.outbox] == [people["customer"].email]


def test_nobody_reachable_on_the_chosen_bases_is_said_before_and_nothing_starts(
    client_as, marketer
):
    with_basis(B.CONSENT)  # reachable on another basis only
    seg = segment()
    seg.consent_bases = [B.PUBLISHED_FOR_BUSINESS]
    seg.save()
    url = reverse("nurture:email_send", args=[email(marketer).pk])
    page = client_as(marketer).post(url, {"segment": seg.pk}).content.decode()
    assert 'data-testid="send-nobody"' in page and 'data-testid="confirm-send"' not in page
    client_as(marketer).post(url, {"segment": seg.pk, "confirmed": "0"})
    assert not Send.objects.exists()


def test_a_send_whose_leads_became_unreachable_reports_zero_sent(client_as, marketer):
    lead = with_basis(B.WRITTEN_NOTICE)
    seg = segment()
    seg.consent_bases = [B.WRITTEN_NOTICE]
    seg.save()
    send = sending.start_send(email(marketer), segment=seg, by=marketer)
    Consent.objects.filter(lead=lead).update(withdrawn_at=lead.created_at)  # unsubscribed meanwhile
    sending.run(send.pk)
    assert mail.outbox == []
    page = client_as(marketer).get(send.get_absolute_url())
    results = page.context["results"]
    assert (results.delivered, results.skipped) == (0, 1)
    html = page.content.decode()
    assert "alert-success" not in html and "Nothing was sent" in html
    assert 'data-testid="send-bases"' in html
