"""Opens, clicks and unsubscribes: counted once, scored, never an open redirect."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import Activity, Consent, Lead
from nurture import sending, tokens
from nurture.models import Delivery, Send
from tests.nurture.conftest import consenting, email, segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sends")]

PRICING = "https://aoba.example.jp/pricing"


@pytest.fixture
def delivered(marketer, campaign) -> Delivery:
    consenting()
    send = sending.start_send(email(marketer, campaign=campaign), segment=segment(), by=marketer)
    sending.run(send.pk)
    return Delivery.objects.select_related("lead", "send").get(send=send)


def link_in(message_body: str, path: str) -> str:
    match = re.search(rf"http://testserver(/nurture/{path}/[^\s\"<>]+)", message_body)
    assert match, message_body
    return match[1]


def test_opening_twice_counts_once_and_raises_the_engagement_score(
    client, delivered, django_capture_on_commit_callbacks, in_process_tasks
):
    pixel = link_in(mail.outbox[0].alternatives[0][0], "o")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(pixel)
        client.get(pixel)
    assert first["Content-Type"] == "image/gif"
    opens = Activity.objects.filter(lead=delivered.lead, kind=Activity.Kind.EMAIL_OPEN)
    assert opens.count() == 1
    assert opens.get().campaign == delivered.send.campaign
    assert Lead.objects.get(pk=delivered.lead_id).engagement_score == 3  # the default open rule


def test_a_click_redirects_to_the_link_counts_once_and_is_scored(
    client, delivered, django_capture_on_commit_callbacks, in_process_tasks
):
    url = link_in(mail.outbox[0].body, "c")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
        client.get(url)
    assert response.status_code == 302
    assert response["Location"] == PRICING
    clicks = Activity.objects.filter(lead=delivered.lead, kind=Activity.Kind.EMAIL_CLICK)
    assert clicks.count() == 1
    assert clicks.get().details["url"] == PRICING
    assert Lead.objects.get(pk=delivered.lead_id).engagement_score == 5  # the default click rule
    delivered.refresh_from_db()
    assert delivered.clicked_at and delivered.opened_at


def test_a_signed_link_that_is_not_in_the_message_is_refused(client, delivered):
    forged = tokens.make(tokens.CLICK, [delivered.pk, "https://evil.example.com/"])
    response = client.get(reverse("nurture:click", args=[forged]))
    assert response.status_code == 400
    assert not Activity.objects.filter(kind=Activity.Kind.EMAIL_CLICK).exists()


def test_a_tampered_click_token_is_refused(client, delivered):
    url = link_in(mail.outbox[0].body, "c")
    response = client.get(url[:-3] + "xyz/")
    assert response.status_code == 400
    assert b"This link is not valid" in response.content


def test_a_message_sent_to_someone_else_cannot_be_clicked_for_this_lead(client, delivered):
    other = tokens.make(tokens.CLICK, [delivered.pk + 1000, PRICING])
    assert client.get(reverse("nurture:click", args=[other])).status_code == 400


def test_the_unsubscribe_page_asks_first_and_the_button_withdraws_consent(client, delivered):
    url = link_in(mail.outbox[0].body, "u")
    page = client.get(url)
    assert b'data-testid="unsubscribe-button"' in page.content
    assert Consent.objects.filter(lead=delivered.lead, withdrawn_at__isnull=True).exists()
    client.post(url)
    assert not Consent.objects.filter(lead=delivered.lead, withdrawn_at__isnull=True).exists()
    delivered.refresh_from_db()
    assert delivered.unsubscribed_at is not None


def test_one_click_unsubscribe_by_the_mail_provider_needs_no_csrf_token(delivered):
    from django.test import Client

    header = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1]
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        header.removeprefix("http://testserver"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Lead.objects.with_marketing_consent().filter(pk=delivered.lead_id).exists()


def test_no_later_send_reaches_an_unsubscribed_lead(client, delivered, marketer):
    client.post(link_in(mail.outbox[0].body, "u"))
    mail.outbox.clear()
    again = sending.start_send(delivered.send.email, segment=delivered.send.segment, by=marketer)
    sending.run(again.pk)
    assert mail.outbox == []
    assert Send.objects.get(pk=again.pk).status == Send.Status.DONE


def test_a_forged_open_token_changes_nothing_and_still_answers_an_image(client, delivered):
    response = client.get(reverse("nurture:open", args=["forged:token"]))
    assert response.status_code == 200
    assert not Activity.objects.filter(kind=Activity.Kind.EMAIL_OPEN).exists()


def test_a_test_send_goes_to_oneself_untracked(client_as, marketer):
    mail_ = email(marketer)
    client_as(marketer).post(reverse("nurture:email_test", args=[mail_.pk]))
    (message,) = mail.outbox
    assert message.to == [marketer.email]
    # The marketer stands in for a recipient: family name first, with 様.
    assert message.subject == "[Test] Sato Hanako 様、ご案内です"
    assert PRICING in message.body  # not tracked
    assert not Delivery.objects.exists()
