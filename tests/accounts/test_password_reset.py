"""Password reset by email: the same answer for every address, a link that
works once and not for long, limits per address and per client."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from crm.models import OutboxEvent

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"


def ask(client, email, *, ip="198.51.100.40", language="en"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)


def link_in(message) -> str:
    found = re.search(r"http://\S+/accounts/password/reset/key/\S+/", str(message.body))
    assert found, message.body
    return found.group(0)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def sent(django_capture_on_commit_callbacks, monkeypatch, in_process_tasks):
    """`ask` runs the reset mail's consumer (in-process) as its request commits."""
    plain = ask

    def ask_and_send(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return plain(*args, **kwargs)

    monkeypatch.setitem(globals(), "ask", ask_and_send)
    return mail.outbox


def test_known_and_unknown_addresses_get_the_same_answer(client, rep):
    known = ask(client, "REP@example.com")
    unknown = ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    done = client.get(known["Location"]).content.decode()
    assert "If an account uses this address" in done and "within 30 minutes" in done
    # The same work in the request: one outbox event each, and no mail yet.
    events = OutboxEvent.objects.filter(topic="accounts.password_reset")
    assert [len(e.payload["user_ids"]) for e in events.order_by("pk")] == [1, 0]
    assert mail.outbox == []


def test_the_answer_takes_as_long_for_an_unknown_address(client, rep, settings):
    settings.BATON_PASSWORD_RESET_PER_ADDRESS_PER_MINUTE = 100

    def median_ms(email: str) -> float:
        times = []
        for i in range(15):
            start = time.perf_counter()
            ask(client, email, ip=f"198.51.100.{i}")
            times.append((time.perf_counter() - start) * 1000)
            client.cookies.clear()
        return statistics.median(times)

    ask(client, "warm-up@example.com")
    known, unknown = median_ms("rep@example.com"), median_ms("nobody@example.com")
    # Only the lookup's answer differs; the mail goes out later, from the worker.
    assert abs(known - unknown) < max(5.0, 0.5 * min(known, unknown)), (known, unknown)


def test_the_link_resets_the_password_once(client, rep, sent):
    ask(client, "rep@example.com")
    assert len(sent) == 1 and sent[0].to == ["rep@example.com"]
    link = path_of(link_in(sent[0]))
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"password1": "N3w-passw0rd!", "password2": "N3w-passw0rd!"}
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("N3w-passw0rd!")
    # A second use of the same link is refused.
    again = client.get(link, follow=True)
    assert again.context["token_fail"] is True
    assert AuditEntry.objects.filter(action=Action.PASSWORD_RESET, object_id=str(rep.pk)).exists()


def test_the_link_expires(client, rep, sent, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask(client, "rep@example.com")
        link = path_of(link_in(sent[0]))
        clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        response = client.get(link, follow=True)
    assert response.context["token_fail"] is True


def test_single_sign_on_accounts_get_no_link(client, rep, sent):
    rep.set_unusable_password()
    rep.save()
    ask(client, "rep@example.com")
    assert sent == []


def test_the_mail_is_in_the_language_of_the_request(client, rep, sent):
    ask(client, "rep@example.com", language="ja")
    assert "パスワード" in sent[0].subject
    assert "1回だけ" in sent[0].body


def test_requests_are_limited_per_address(client, rep, settings):
    allowed = settings.BATON_PASSWORD_RESET_PER_ADDRESS_PER_MINUTE
    for i in range(allowed):
        assert ask(client, "rep@example.com", ip=f"198.51.100.{i}").status_code == 302
    refused = ask(client, "Rep@Example.com", ip="198.51.100.99")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # Unknown addresses are limited alike: the refusal says nothing about accounts.
    for i in range(allowed):
        ask(client, "nobody@example.com", ip=f"198.51.100.{i}")
    assert ask(client, "nobody@example.com", ip="198.51.100.98").status_code == 429
    assert ask(client, "other@example.com", ip="198.51.100.97").status_code == 302


def test_requests_are_limited_per_client(client, settings):
    for i in range(settings.BATON_PASSWORD_RESET_PER_IP_PER_MINUTE):
        assert ask(client, f"person{i}@example.com").status_code == 302
    refused = ask(client, "another@example.com", language="ja")
    assert refused.status_code == 429
    assert "パスワードリセット" in refused.content.decode()


def test_the_login_page_links_to_the_reset(client):
    assert RESET in client.get(reverse("login")).content.decode()


def test_inactive_accounts_get_no_link(client, sent, django_user_model):
    User.objects.create_user("gone", "gone@example.com", "pw", is_active=False)
    ask(client, "gone@example.com")
    assert sent == []
