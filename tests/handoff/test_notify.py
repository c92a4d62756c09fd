"""Notifications beyond the app: one email per recipient in the site's language,
one chat message per handoff and kind, each sent once however often its task runs.

No network: DNS answers come from the `dns` fixture and the chat webhook's
connection is a fake that records what it was sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from celery.exceptions import Retry
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import LanguagePreference
from crm import outbox
from crm.models import Campaign, Company, Lead, OutboxEvent
from crm.topics import Topic
from handoff import mql, notify, services, tasks
from handoff.models import ChatDelivery, Handoff, HandoffPolicy, Notification
from tests import factories
from tests.conftest import make_user, scheduled_retries
from tests.fake_dns import resolve_from
from webhooks import sender
from webhooks.sender import Connection, WebhookTarget

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/services/T000/B000/xyz"
BASE_URL = "https://crm.example.com"


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.BATON_BASE_URL = BASE_URL


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses; literal IPs resolve to themselves, other names fail."""
    answers = {"hooks.example.com": [PUBLIC_IP], "hooks.internal.example.com": ["10.0.0.7"]}

    resolve_from(monkeypatch, answers)
    return answers


class FakeResponse:
    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status = status
        self.headers = headers

    def read(self, amt: int | None = None, /) -> bytes:
        return b"ok"


class FakeWebhook:
    """Stands in for the connection post_message opens; answers with `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {}
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, target: WebhookTarget, timeout: float) -> Connection:
        return self

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.requests.append((url, body, dict(headers)))

    def getresponse(self) -> FakeResponse:
        return FakeResponse(self.status, self.headers)

    def close(self) -> None:
        pass


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch, dns: dict[str, list[str]]) -> FakeWebhook:
    fake = FakeWebhook()
    monkeypatch.setattr(sender, "post_message", partial(sender.post_message, connect=fake))
    return fake


@pytest.fixture
def chat_policy() -> HandoffPolicy:
    policy = HandoffPolicy.current()
    policy.chat_webhook_url = HOOK_URL
    notify.ensure_chat_webhook_secret(policy)
    policy.save()
    return policy


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The retries the chat task schedules (as a worker would, not eagerly)."""
    return scheduled_retries(monkeypatch, tasks.deliver_chat_event)


def hand_off(campaign: Campaign, *, company: str = "青葉商事") -> Handoff:
    """A lead 山田 太郎 at `company` from `campaign`, handed off (reps notified)."""
    policy = HandoffPolicy.current()
    lead = factories.lead(
        given_name="太郎",
        engagement_score=policy.engagement_threshold,
        fit_score=12,
        company=Company.objects.create(name=company),
        source_campaign=campaign,
    )
    with transaction.atomic():  # as the worker does: the lead locked until it commits
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        handoff = mql.hand_off_if_qualified(locked, policy=policy)
    assert handoff is not None
    return handoff


def event(topic: str) -> OutboxEvent:
    return OutboxEvent.objects.get(topic=topic)


def is_processed(pk: int) -> bool:
    return OutboxEvent.objects.get(pk=pk).processed_at is not None


def delivery_of(handoff: Handoff) -> ChatDelivery:
    return ChatDelivery.objects.get(handoff=handoff)


# Email -------------------------------------------------------------------------


def test_each_rep_is_emailed_in_english_with_a_link_to_the_lead(
    settings: Any,
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
    other_rep: User,
) -> None:
    settings.LANGUAGE_CODE = "en"
    handoff = hand_off(campaign)
    email_event = event(Topic.NOTIFICATION_EMAIL)

    tasks.email_notifications_event(email_event.pk)

    assert sorted(m.to[0] for m in mailoutbox) == [other_rep.email, rep.email]
    message = mailoutbox[0]
    link = f"{BASE_URL}/crm/leads/{handoff.lead_id}/"
    assert message.subject == "New qualified lead: 山田 太郎 (青葉商事)"  # family name first
    assert "Lead: 山田 太郎\nCompany: 青葉商事\nCampaign: Spring webinar\n" in message.body
    assert f"Fit: 12\nEngagement: {handoff.engagement_at_handoff}\n" in message.body
    assert link in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{link}">' in str(html) and '<html lang="en">' in str(html)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert is_processed(email_event.pk)


def test_one_event_renders_the_email_once_and_opens_one_mail_connection_for_all_its_reps(
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
    other_rep: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_user("third_rep", "sales")
    hand_off(campaign)
    renders: list[str] = []
    opened: list[object] = []
    render, get_connection = notify.render_email, mail.get_connection

    def counted_render(kind: str, *, handoff: Handoff, language: str) -> notify.RenderedEmail:
        renders.append(kind)
        return render(kind, handoff=handoff, language=language)

    def counted_connection(*args: Any, **kwargs: Any) -> Any:
        opened.append(connection := get_connection(*args, **kwargs))
        return connection

    monkeypatch.setattr(notify, "render_email", counted_render)
    monkeypatch.setattr(mail, "get_connection", counted_connection)

    tasks.email_notifications_event(event(Topic.NOTIFICATION_EMAIL).pk)

    assert len(mailoutbox) == 3
    assert renders == [Notification.Kind.NEW_HANDOFF]
    assert len(opened) == 1
    assert len({m.to[0] for m in mailoutbox}) == 3
    assert len({m.body for m in mailoutbox}) == 1


def test_each_rep_is_emailed_in_japanese_family_name_first(
    settings: Any,
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
    other_rep: User,
) -> None:
    settings.LANGUAGE_CODE = "ja"
    handoff = hand_off(campaign)

    tasks.email_notifications_event(event(Topic.NOTIFICATION_EMAIL).pk)

    assert len(mailoutbox) == 2
    message = mailoutbox[0]
    assert message.subject == "新着MQL: 山田 太郎 (青葉商事)"
    assert "リード: 山田 太郎\n会社名: 青葉商事\nキャンペーン: Spring webinar\n" in message.body
    assert "属性スコア: 12\n" in message.body
    assert "Company" not in message.body
    assert f"{BASE_URL}/crm/leads/{handoff.lead_id}/" in message.body
    assert '<html lang="ja">' in str(message.alternatives[0][0])


def test_each_rep_is_emailed_in_their_own_language_rendered_once_per_language(
    settings: Any,
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
    other_rep: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.LANGUAGE_CODE = "en"
    third = make_user("third_rep", "sales")
    LanguagePreference.objects.create(user=rep, language="ja")
    LanguagePreference.objects.create(user=third, language="ja")
    hand_off(campaign)
    languages: list[str] = []
    render = notify.render_email

    def counted_render(kind: str, *, handoff: Handoff, language: str) -> notify.RenderedEmail:
        languages.append(language)
        return render(kind, handoff=handoff, language=language)

    monkeypatch.setattr(notify, "render_email", counted_render)
    tasks.email_notifications_event(event(Topic.NOTIFICATION_EMAIL).pk)

    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[rep.email] == subjects[third.email] == "新着MQL: 山田 太郎 (青葉商事)"
    assert subjects[other_rep.email] == "New qualified lead: 山田 太郎 (青葉商事)"
    assert sorted(languages) == ["en", "ja"]


def test_in_app_notifications_are_worded_in_the_readers_language(
    client: Any, campaign: Campaign, rep: User, other_rep: User
) -> None:
    LanguagePreference.objects.create(user=rep, language="ja")
    hand_off(campaign)
    for user, expected in [(rep, "新着MQL"), (other_rep, "New qualified lead")]:
        client.force_login(user)
        client.cookies.pop("django_language", None)
        page = client.get(reverse("handoff:notifications")).content.decode()
        assert expected in page
        client.logout()


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("kind", Notification.Kind.values)
def test_every_kind_has_its_email(
    settings: Any, campaign: Campaign, rep: User, manager: User, kind: str, language: str
) -> None:
    settings.LANGUAGE_CODE = language
    handoff = hand_off(campaign)
    services.claim_handoff(handoff, rep=rep)
    notify.send(handoff, kind, [manager])
    notification = Notification.objects.get(recipient=manager, kind=kind)

    message = notify.build_email(notification, handoff=Handoff.objects.get(pk=handoff.pk))

    assert message.subject.endswith("(青葉商事)") and "\n" not in message.subject
    assert ("担当者: Suzuki Taro" if language == "ja" else "Owner: Taro Suzuki") in message.body


def test_the_text_part_is_not_html_escaped_and_the_html_part_is(
    mailoutbox: list[EmailMultiAlternatives], campaign: Campaign, rep: User
) -> None:
    hand_off(campaign, company="A&B <Tools>")
    tasks.email_notifications_event(event(Topic.NOTIFICATION_EMAIL).pk)
    [message] = mailoutbox
    assert "(A&B <Tools>)" in message.subject
    assert "A&B <Tools>" in message.body
    assert "A&amp;B &lt;Tools&gt;" in str(message.alternatives[0][0])


def test_no_email_when_the_policy_says_no(
    mailoutbox: list[EmailMultiAlternatives], campaign: Campaign, rep: User
) -> None:
    HandoffPolicy.objects.filter(pk=HandoffPolicy.current().pk).update(notify_by_email=False)
    hand_off(campaign)
    assert Notification.objects.filter(recipient=rep).exists()  # in the app all the same
    assert not OutboxEvent.objects.filter(topic=Topic.NOTIFICATION_EMAIL).exists()
    assert mailoutbox == []


def test_a_user_without_an_email_address_is_skipped(
    mailoutbox: list[EmailMultiAlternatives], campaign: Campaign, rep: User, other_rep: User
) -> None:
    User.objects.filter(pk=rep.pk).update(email="")
    hand_off(campaign)
    email_event = event(Topic.NOTIFICATION_EMAIL)
    tasks.email_notifications_event(email_event.pk)
    assert [m.to for m in mailoutbox] == [[other_rep.email]]
    assert is_processed(email_event.pk)


def test_a_notification_is_emailed_once_when_the_task_runs_twice(
    mailoutbox: list[EmailMultiAlternatives], campaign: Campaign, rep: User, other_rep: User
) -> None:
    handoff = hand_off(campaign)
    email_event = event(Topic.NOTIFICATION_EMAIL)

    tasks.email_notifications_event(email_event.pk)
    tasks.email_notifications_event(email_event.pk)  # a retry after it finished
    # A redelivery of an event whose first run died before marking it processed.
    OutboxEvent.objects.filter(pk=email_event.pk).update(processed_at=None)
    tasks.email_notifications_event(email_event.pk)
    # The same notification sent again by a retried caller: no new row, and its
    # email event (listing the same rows) sends nothing.
    notify.send(handoff, Notification.Kind.NEW_HANDOFF, [rep, other_rep])
    retried = OutboxEvent.objects.filter(topic=Topic.NOTIFICATION_EMAIL).latest("pk")
    assert retried.pk != email_event.pk
    assert retried.payload == email_event.payload
    tasks.email_notifications_event(retried.pk)

    assert Notification.objects.filter(handoff=handoff).count() == 2
    assert len(mailoutbox) == 2


def test_the_event_is_emailed_once_when_the_outbox_delivers_it_twice(
    in_process_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hand_off(campaign)  # published at commit: emailed in-process
    email_event = event(Topic.NOTIFICATION_EMAIL)
    assert is_processed(email_event.pk)
    assert outbox.publish(email_event.pk, email_event.topic)  # the sweep sends it again
    assert [m.to for m in mailoutbox] == [[rep.email]]


def test_a_mail_server_that_is_down_leaves_the_rest_for_the_sweep(
    monkeypatch: pytest.MonkeyPatch,
    mailoutbox: list[EmailMultiAlternatives],
    campaign: Campaign,
    rep: User,
    other_rep: User,
) -> None:
    hand_off(campaign)
    email_event = event(Topic.NOTIFICATION_EMAIL)
    send = EmailMultiAlternatives.send

    def down_after_the_first(message: EmailMultiAlternatives, *args: Any) -> int:
        if mailoutbox:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return send(message, *args)

    monkeypatch.setattr(EmailMultiAlternatives, "send", down_after_the_first)
    assert tasks.email_notifications_event(email_event.pk) is None
    assert len(mailoutbox) == 1 and not is_processed(email_event.pk)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    tasks.email_notifications_event(email_event.pk)  # the sweep's redelivery
    assert sorted(m.to[0] for m in mailoutbox) == [other_rep.email, rep.email]
    assert is_processed(email_event.pk)


# Chat --------------------------------------------------------------------------


def test_chat_message_is_delivered_once_when_the_task_runs_twice(
    settings: Any, webhook: FakeWebhook, chat_policy: HandoffPolicy, campaign: Campaign, rep: User
) -> None:
    settings.LANGUAGE_CODE = "en"
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)

    tasks.deliver_chat_event(chat_event.pk)
    tasks.deliver_chat_event(chat_event.pk)
    OutboxEvent.objects.filter(pk=chat_event.pk).update(processed_at=None)
    tasks.deliver_chat_event(chat_event.pk)  # a redelivered event

    [(path, body, headers)] = webhook.requests
    assert path == "/services/T000/B000/xyz"
    message = json.loads(body)
    assert message["text"] == (
        f"New qualified lead: 山田 太郎 (青葉商事) (fit 12, engagement "
        f"{handoff.engagement_at_handoff})"
    )
    assert message["blocks"][0]["accessory"]["url"] == f"{BASE_URL}/crm/leads/{handoff.lead_id}/"
    secret = HandoffPolicy.current().chat_webhook_secret.encode()
    signed = headers["X-Baton-Timestamp"].encode() + b"." + body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    assert headers["X-Baton-Signature"] == f"sha256={expected}"
    delivery = delivery_of(handoff)
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.DELIVERED, 1)
    assert delivery.delivered_at is not None
    assert is_processed(chat_event.pk)


def test_chat_text_is_in_the_language_the_policy_sets_for_the_channel(
    settings: Any, webhook: FakeWebhook, chat_policy: HandoffPolicy, campaign: Campaign, rep: User
) -> None:
    settings.LANGUAGE_CODE = "en"
    HandoffPolicy.objects.filter(pk=chat_policy.pk).update(chat_language="ja")
    hand_off(campaign)
    tasks.deliver_chat_event(event(Topic.NOTIFICATION_CHAT).pk)
    assert json.loads(webhook.requests[0][1])["text"].startswith("新しい有望リード")


def test_chat_text_follows_the_site_language(
    settings: Any, webhook: FakeWebhook, chat_policy: HandoffPolicy, campaign: Campaign, rep: User
) -> None:
    settings.LANGUAGE_CODE = "ja"
    hand_off(campaign)
    tasks.deliver_chat_event(event(Topic.NOTIFICATION_CHAT).pk)
    assert "山田 太郎 (青葉商事)" in json.loads(webhook.requests[0][1])["text"]


def test_one_chat_message_per_handoff_and_kind_whoever_is_notified(
    chat_policy: HandoffPolicy, campaign: Campaign, rep: User, manager: User
) -> None:
    handoff = hand_off(campaign)
    notify.send(handoff, Notification.Kind.NEW_HANDOFF, [manager])
    notify.send(handoff, Notification.Kind.SLA_BREACH, [manager])
    notify.send(handoff, Notification.Kind.SLA_BREACH, [rep])
    assert sorted(handoff.chat_deliveries.values_list("kind", flat=True)) == [
        "new_handoff",
        "sla_breach",
    ]
    assert OutboxEvent.objects.filter(topic=Topic.NOTIFICATION_CHAT).count() == 2


def test_no_chat_delivery_without_a_webhook_url(campaign: Campaign, rep: User) -> None:
    hand_off(campaign)
    assert not ChatDelivery.objects.exists()
    assert not OutboxEvent.objects.filter(topic=Topic.NOTIFICATION_CHAT).exists()


def test_a_server_error_is_retried_with_backoff_and_then_delivered(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)
    webhook.status = 500

    with pytest.raises(Retry):
        tasks.deliver_chat_event(chat_event.pk)

    delivery = delivery_of(handoff)
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.PENDING, 1)
    assert delivery.last_error == "webhook answered: HTTP 500"
    [retry] = retries
    assert retry["kwargs"] == {"attempt": 1}
    assert 5 <= retry["countdown"] <= 10  # the first backoff, with jitter
    pending = OutboxEvent.objects.get(pk=chat_event.pk)
    assert pending.processed_at is None
    # The sweep leaves it to the retry: its publish is dated at the retry's due time.
    assert pending.published_at is not None and pending.published_at > timezone.now()

    webhook.status = 200
    tasks.deliver_chat_event(chat_event.pk, attempt=1)  # the retry
    tasks.deliver_chat_event(chat_event.pk, attempt=1)  # a duplicate of it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.DELIVERED, 2)
    assert len(webhook.requests) == 2 and len(retries) == 1
    assert is_processed(chat_event.pk)


def test_a_stale_retry_does_nothing(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    ChatDelivery.objects.filter(handoff=handoff).update(attempts=3)
    tasks.deliver_chat_event(event(Topic.NOTIFICATION_CHAT).pk, attempt=2)
    assert webhook.requests == []
    assert delivery_of(handoff).attempts == 3


def test_the_last_attempt_fails_for_good(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    ChatDelivery.objects.filter(handoff=handoff).update(attempts=notify.CHAT_MAX_ATTEMPTS - 1)
    chat_event = event(Topic.NOTIFICATION_CHAT)
    webhook.status = 503

    tasks.deliver_chat_event(chat_event.pk, attempt=notify.CHAT_MAX_ATTEMPTS - 1)

    delivery = delivery_of(handoff)
    assert (delivery.status, delivery.attempts) == (
        ChatDelivery.Status.FAILED,
        notify.CHAT_MAX_ATTEMPTS,
    )
    assert retries == [] and is_processed(chat_event.pk)


def test_a_client_error_fails_without_retry(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)
    webhook.status = 400

    tasks.deliver_chat_event(chat_event.pk)
    tasks.deliver_chat_event(chat_event.pk)

    delivery = delivery_of(handoff)
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.FAILED, 1)
    assert delivery.last_error == "webhook answered: HTTP 400"
    assert retries == [] and len(webhook.requests) == 1
    assert is_processed(chat_event.pk)


def test_a_redirect_to_loopback_is_not_followed_nor_retried(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)
    webhook.status = 302
    webhook.headers = {"Location": "http://127.0.0.1:8000/admin/"}

    tasks.deliver_chat_event(chat_event.pk)
    OutboxEvent.objects.filter(pk=chat_event.pk).update(processed_at=None)
    tasks.deliver_chat_event(chat_event.pk)  # redelivered: still settled

    assert len(webhook.requests) == 1  # the hook itself, never the Location
    delivery = delivery_of(handoff)
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.FAILED, 1)
    assert delivery.last_error == "redirect refused: HTTP 302"
    assert retries == [] and is_processed(chat_event.pk)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # loopback
        "https://[::1]/hook",
        "https://10.0.0.5/hook",  # private
        "https://192.168.1.10/hook",
        "https://hooks.internal.example.com/hook",  # a name for a private address
        "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "https://[fe80::1]/hook",
        "http://hooks.example.com/hook",  # not https
    ],
)
def test_unsafe_webhook_urls_are_refused_at_send_time_and_fail(
    webhook: FakeWebhook,
    retries: list[dict[str, Any]],
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
    url: str,
) -> None:
    # Stored without the form's check (an old row, a shell, DNS changed since).
    HandoffPolicy.objects.filter(pk=chat_policy.pk).update(chat_webhook_url=url)
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)

    tasks.deliver_chat_event(chat_event.pk)

    delivery = delivery_of(handoff)
    assert delivery.url == url
    assert (delivery.status, delivery.attempts) == (ChatDelivery.Status.FAILED, 1)
    assert delivery.last_error.startswith("webhook URL refused")
    assert webhook.requests == [] and retries == []
    assert is_processed(chat_event.pk)


def test_in_process_the_outbox_sweep_is_the_retry(
    in_process_tasks: None,
    webhook: FakeWebhook,
    chat_policy: HandoffPolicy,
    campaign: Campaign,
    rep: User,
) -> None:
    handoff = hand_off(campaign)
    chat_event = event(Topic.NOTIFICATION_CHAT)
    webhook.status = 502

    tasks.deliver_chat_event.apply(args=(chat_event.pk,))  # eager: no inline retry

    assert len(webhook.requests) == 1
    assert delivery_of(handoff).status == ChatDelivery.Status.PENDING
    an_hour_ago = timezone.now() - timedelta(hours=1)
    OutboxEvent.objects.filter(pk=chat_event.pk).update(created_at=an_hour_ago)
    assert outbox.relay_pending() == 0  # published "at the retry's due time": not yet
    OutboxEvent.objects.filter(pk=chat_event.pk).update(published_at=an_hour_ago)
    webhook.status = 200
    assert outbox.relay_pending() == 1
    assert delivery_of(handoff).status == ChatDelivery.Status.DELIVERED
    assert is_processed(chat_event.pk)


def test_a_policy_without_a_secret_gets_one_before_signing(
    webhook: FakeWebhook, campaign: Campaign, rep: User
) -> None:
    HandoffPolicy.objects.filter(pk=HandoffPolicy.current().pk).update(
        chat_webhook_url=HOOK_URL, chat_webhook_secret=""
    )
    hand_off(campaign)
    tasks.deliver_chat_event(event(Topic.NOTIFICATION_CHAT).pk)
    assert len(HandoffPolicy.current().chat_webhook_secret) == 64
    assert "X-Baton-Signature" in webhook.requests[0][2]


# Policy settings -----------------------------------------------------------------


def test_the_webhook_url_is_checked_when_saved(dns: dict[str, list[str]]) -> None:
    assert notify.clean_chat_webhook_url("") == ""
    assert notify.clean_chat_webhook_url(f" {HOOK_URL} ") == HOOK_URL
    for url in ["https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/x"]:
        with pytest.raises(ValidationError):
            notify.clean_chat_webhook_url(url)


def test_a_webhook_url_brings_a_secret_that_is_then_kept() -> None:
    policy = HandoffPolicy.current()
    notify.ensure_chat_webhook_secret(policy)
    assert policy.chat_webhook_secret == ""  # no URL, no secret
    policy.chat_webhook_url = HOOK_URL
    notify.ensure_chat_webhook_secret(policy)
    secret = policy.chat_webhook_secret
    assert len(secret) == 64 and int(secret, 16) >= 0
    policy.chat_webhook_url = HOOK_URL + "/other"
    notify.ensure_chat_webhook_secret(policy)
    assert policy.chat_webhook_secret == secret


@pytest.fixture
def policy_form_data(admin_client: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    url = reverse("admin:handoff_handoffpolicy_change", args=[HandoffPolicy.current().pk])
    form = admin_client.get(url).context["adminform"].form
    yield url, {name: form[name].value() for name in form.fields}


def test_the_admin_refuses_a_loopback_webhook(
    admin_client: Any, dns: dict[str, list[str]], policy_form_data: tuple[str, dict[str, Any]]
) -> None:
    url, data = policy_form_data
    response = admin_client.post(url, {**data, "chat_webhook_url": "https://127.0.0.1/hook"})
    assert response.status_code == 200
    assert "chat_webhook_url" in response.context["adminform"].form.errors
    assert HandoffPolicy.current().chat_webhook_url == ""


def test_the_admin_saves_a_public_webhook_with_a_secret(
    admin_client: Any, dns: dict[str, list[str]], policy_form_data: tuple[str, dict[str, Any]]
) -> None:
    url, data = policy_form_data
    response = admin_client.post(url, {**data, "chat_webhook_url": HOOK_URL})
    assert response.status_code == 302
    policy = HandoffPolicy.current()
    assert policy.chat_webhook_url == HOOK_URL and len(policy.chat_webhook_secret) == 64


# Through a real worker -------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_emails_once_and_refuses_a_loopback_webhook(
    celery_worker: Any, campaign: Campaign, rep: User, other_rep: User
) -> None:
    from tests.conftest import wait_until

    HandoffPolicy.objects.filter(pk=HandoffPolicy.current().pk).update(
        chat_webhook_url="https://127.0.0.1/hook", chat_webhook_secret="s" * 64
    )
    handoff = hand_off(campaign)  # committed: the events are published at once

    def settled() -> bool:
        return not OutboxEvent.objects.filter(
            topic__startswith="notifications.", processed_at__isnull=True
        ).exists()

    wait_until(settled)
    emailed = dict(Notification.objects.values_list("pk", "emailed_at"))
    assert len(emailed) == 2 and all(emailed.values())
    delivery = delivery_of(handoff)
    assert delivery.status == ChatDelivery.Status.FAILED
    assert delivery.last_error.startswith("webhook URL refused")

    email_event = event(Topic.NOTIFICATION_EMAIL)
    OutboxEvent.objects.filter(pk=email_event.pk).update(processed_at=None)
    assert outbox.publish(email_event.pk, email_event.topic)  # delivered again
    wait_until(settled)
    assert dict(Notification.objects.values_list("pk", "emailed_at")) == emailed
    assert mail.outbox == []  # the worker sent them, not this process


# --- The badge -------------------------------------------------------------------


def test_badge_counts_unread_notifications(client_as, rep):
    factories.qualified_handoff()
    factories.qualified_handoff()
    response = client_as(rep).get(reverse("handoff:notification_badge"))
    assert 'data-testid="notification-badge"' in response.content.decode()
    assert ">2</span>" in response.content.decode()


def test_mark_all_read_clears_the_badge(client_as, rep):
    factories.qualified_handoff()
    client = client_as(rep)
    client.post(reverse("handoff:mark_all_read"))
    assert ">0</span>" in client.get(reverse("handoff:notification_badge")).content.decode()
