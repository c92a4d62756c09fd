"""Sending an email to a segment: consent, merge fields, headers, exactly once."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse

from crm.models import Consent
from nurture import sending, tracking
from nurture.models import Delivery, Send
from tests import factories
from tests.conftest import wait_until
from tests.nurture.conftest import consenting, email, segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sends")]


def send_now(marketer, **email_fields) -> Send:
    send = sending.start_send(email(marketer, **email_fields), segment=segment(), by=marketer)
    sending.run(send.pk)
    send.refresh_from_db()
    return send


def test_only_leads_whose_consent_allows_it_receive_the_email(marketer):
    yes = consenting()
    withdrawn = consenting()
    Consent.objects.filter(lead=withdrawn).update(withdrawn_at="2026-01-01T00:00Z")
    factories.lead()  # never consented
    send = send_now(marketer)
    assert [m.to for m in mail.outbox] == [[yes.email]]
    assert send.status == Send.Status.DONE
    result = sending.results(send)
    assert (result.total, result.delivered, result.skipped) == (3, 1, 2)


def test_japanese_email_puts_the_family_name_first_with_sama(marketer, company):
    consenting(family_name="山田", given_name="太郎", company=company)
    send_now(marketer)
    message = mail.outbox[0]
    assert message.subject == "山田 太郎 様、ご案内です"
    assert message.body.startswith("株式会社青葉商事\n山田 太郎 様\n")


def test_mail_to_a_company_reads_onchu_in_japanese_and_a_kanji_name_family_first_in_english(
    marketer, company
):
    consenting(family_name="山田", given_name="太郎", company=company)
    body = "{{ company_addressee }}\n{{ name }}\n"
    send_now(marketer, body=body)
    assert mail.outbox[0].body.startswith("株式会社青葉商事 御中\n山田 太郎 様\n")
    mail.outbox.clear()
    send_now(marketer, language="en", subject="Hello {{ name }}", body=body)
    assert mail.outbox[0].subject == "Hello 山田 太郎"
    assert mail.outbox[0].body.startswith("株式会社青葉商事\n山田 太郎\n")


def test_english_email_puts_the_given_name_first(marketer):
    consenting(family_name="Yamada", given_name="Taro")
    send_now(marketer, language="en", subject="Hello {{ name }}", body="Dear {{ given_name }}")
    message = mail.outbox[0]
    assert message.subject == "Hello Taro Yamada"
    assert "To stop receiving these emails" in message.body


def test_message_names_its_sender_and_offers_one_click_unsubscribe(marketer):
    consenting()
    send_now(marketer)
    message = mail.outbox[0]
    assert "news@aoba.example.jp" in message.from_email
    assert "青葉商事 マーケティング部" in message.from_email
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/nurture/u/") and unsubscribe.endswith(">")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in message.body
    html = message.alternatives[0][0]
    assert "/nurture/o/" in html  # the open pixel
    assert "https://aoba.example.jp/pricing" not in message.body  # the link is tracked
    assert "/nurture/c/" in message.body


def test_running_the_job_again_sends_nothing_twice(marketer):
    for _ in range(5):
        consenting()
    send = send_now(marketer)
    Send.objects.filter(pk=send.pk).update(status=Send.Status.RUNNING, heartbeat_at=None)
    sending.run(send.pk)  # a redelivery of the same task
    sending.write_recipients(send)  # and the recipients written again
    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5


def test_a_row_claimed_by_a_crashed_worker_is_never_sent_again(marketer):
    leads = [consenting() for _ in range(4)]
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    assert sending.claim_send(send.pk)
    # The worker claimed a batch, then died before (or while) sending it.
    crashed = sending.claim_batch(send, size=2)
    Send.objects.filter(pk=send.pk).update(heartbeat_at=None)
    assert sending.stalled_sends() == [send.pk]
    sending.run(send.pk)
    sent_to = sorted(m.to[0] for m in mail.outbox)
    claimed = Delivery.objects.filter(pk__in=crashed).values_list("lead__email", flat=True)
    assert sent_to == sorted(lead.email for lead in leads if lead.email not in set(claimed))
    assert Delivery.objects.filter(pk__in=crashed, status=Delivery.Status.CLAIMED).count() == 2


def test_unsubscribe_stops_a_send_already_in_progress(marketer, settings):
    settings.NURTURE_BATCH_SIZE = 1
    settings.EMAIL_BACKEND = "tests.nurture.backends.UnsubscribeAfterFirst"
    for _ in range(4):
        consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    sending.run(send.pk)
    # The backend unsubscribed the last recipient while the first went out.
    results = sending.results(send)
    assert (results.delivered, results.skipped) == (3, 1)
    last = Delivery.objects.filter(send=send).order_by("pk").last()
    assert last.status == Delivery.Status.SKIPPED
    assert last.lead.email not in [m.to[0] for m in mail.outbox]


def test_a_stopped_send_sends_no_further_batch(marketer):
    for _ in range(4):
        consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    assert sending.claim_send(send.pk)
    sending.send_batch(send, size=2)
    assert sending.cancel_send(send)
    Send.objects.filter(pk=send.pk).update(heartbeat_at=None)
    sending.run(send.pk)
    assert len(mail.outbox) == 2


def test_a_failing_mail_server_sends_the_rest_on_retry_and_nothing_twice(marketer, settings):
    settings.EMAIL_BACKEND = "tests.nurture.backends.FailOnce"
    for _ in range(3):
        consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    with pytest.raises(ConnectionError):
        sending.run(send.pk)
    sending.run(send.pk)  # the task's retry
    statuses = sorted(Delivery.objects.filter(send=send).values_list("status", flat=True))
    # The message that failed is never tried again (it may have left); the others went.
    assert statuses == ["failed", "sent", "sent"]
    assert len(mail.outbox) == 2


def test_results_count_opens_clicks_unsubscribes_and_mqls_that_followed(marketer):
    a, b = consenting(), consenting()
    send = send_now(marketer)
    first, second = Delivery.objects.filter(send=send).order_by("pk")
    tracking.record_open(first.pk)
    tracking.record_click(first.pk, "https://aoba.example.jp/pricing")
    tracking.unsubscribe(second)
    from crm import services as crm

    crm.change_stage(a, "mql")
    results = sending.results(send)
    assert (results.delivered, results.opened, results.clicked) == (2, 1, 1)
    assert (results.unsubscribed, results.mqls) == (1, 1)
    assert b.pk == second.lead_id


def test_the_send_page_shows_progress_then_results(client_as, marketer):
    consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    client = client_as(marketer)
    page = client.get(reverse("nurture:send_detail", args=[send.pk]))
    assert b'data-testid="send-progress"' in page.content
    sending.run(send.pk)
    fragment = client.get(reverse("nurture:send_detail", args=[send.pk]), HTTP_HX_REQUEST="true")
    assert b'data-testid="send-done"' in fragment.content
    assert b"<html" not in fragment.content


def test_sending_from_the_page_queues_the_job(client_as, marketer, in_process_tasks):
    consenting()
    mail_ = email(marketer)
    seg = segment()
    client = client_as(marketer)
    url = reverse("nurture:email_send", args=[mail_.pk])
    confirm = client.post(url, {"segment": seg.pk})
    assert confirm.status_code == 200 and not Send.objects.exists()
    assert confirm.context["reachable"] == 1
    response = client.post(url, {"segment": seg.pk, "confirmed": "1"})
    send = Send.objects.get()
    assert response["Location"] == send.get_absolute_url()


def test_a_mass_send_is_confirmed_with_the_reachable_count(client_as, marketer):
    consenting()
    consenting()
    factories.lead()  # no consent: skipped
    mail_, seg = email(marketer), segment()
    client = client_as(marketer)
    url = reverse("nurture:email_send", args=[mail_.pk])
    page = client.post(url, {"segment": seg.pk}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="confirm-reachable">2<' in page
    assert "2 件のリードに送信" in page
    # Someone became reachable meanwhile: the new count is shown, nothing is sent.
    consenting()
    again = client.post(url, {"segment": seg.pk, "confirmed": "2"})
    assert again.status_code == 200 and again.context["changed"]
    assert again.context["reachable"] == 3 and not Send.objects.exists()


def test_nobody_reachable_is_a_warning_not_a_send(client_as, marketer):
    factories.lead()
    mail_, seg = email(marketer), segment()
    client = client_as(marketer)
    url = reverse("nurture:email_send", args=[mail_.pk])
    page = client.post(url, {"segment": seg.pk}).content.decode()
    assert 'data-testid="send-nobody"' in page and 'data-testid="confirm-send"' not in page
    assert "none of the 1 leads" not in page and "has no marketing consent on record" in page
    client.post(url, {"segment": seg.pk, "confirmed": "0"})
    assert not Send.objects.exists()


def test_a_send_that_reached_nobody_says_why_in_a_warning(client_as, marketer, fast_sends):
    factories.lead()
    factories.lead()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    sending.run(send.pk)
    html = client_as(marketer).get(reverse("nurture:send_detail", args=[send.pk])).content.decode()
    assert "alert-success" not in html
    assert (
        "Nothing was sent: none of the 2 leads of the segment had a marketing consent on record"
        in html
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_one_send_reach_each_lead_once(marketer):
    leads = [consenting() for _ in range(40)]
    with transaction.atomic():
        send = sending.start_send(email(marketer), segment=segment(), by=marketer)
        transaction.get_connection().run_on_commit.clear()  # these threads are the workers
    assert sending.claim_send(send.pk)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while sending.send_batch(send, size=3):
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    sent_to = [m.to[0] for m in mail.outbox]
    assert sorted(sent_to) == sorted(lead.email for lead in leads)


def test_the_rate_limit_spaces_the_batches(marketer, settings):
    settings.NURTURE_SEND_RATE_PER_SECOND = 40
    settings.NURTURE_BATCH_SIZE = 5
    for _ in range(10):
        consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    began = time.monotonic()
    sending.run(send.pk)
    assert len(mail.outbox) == 10
    assert time.monotonic() - began >= 10 / 40 * 0.9


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_sends_each_recipient_once(celery_worker, marketer):
    for _ in range(10):
        consenting()
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    wait_until(lambda: Send.objects.get(pk=send.pk).status == Send.Status.DONE, timeout=60)
    sent = Delivery.objects.filter(send=send, status=Delivery.Status.SENT)
    assert sent.count() == 10
    assert sent.values("lead").distinct().count() == 10
