"""Nurture: a send to a 100,000-lead segment, and page-view collection.

1. Send: Baton's job (recipients written in one INSERT … SELECT, batches
   claimed with one UPDATE, consent read once per batch, one mail connection
   per batch) against the naive loop (per lead: a consent query, a
   get_or_create of the delivery row, the body rendered by the template
   engine, one send_mail connection). Both through Django's locmem backend.
   The naive loop runs on the first NAIVE_LEADS leads of the same segment:
   at its rate all 100,000 would take minutes.
2. Collection: requests per second of Baton's endpoint (one INSERT) and the
   worker that turns the rows into page_view activities, against the naive
   endpoint that looks the visitor up and records the activity in the request.
   Both called through RequestFactory (no middleware), outbox events written
   but not relayed (OUTBOX_PUBLISH_AT_COMMIT off), so that only the request
   and the writes are measured.

`python -m bench nurture`; BENCH_LEADS, BENCH_NAIVE_LEADS, BENCH_VIEWS change
the sizes. Uses its own database (baton_bench_nurture).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from bench._django import setup

LEADS = int(os.environ.get("BENCH_LEADS", "100000"))
NAIVE_LEADS = int(os.environ.get("BENCH_NAIVE_LEADS", "10000"))
VIEWS = int(os.environ.get("BENCH_VIEWS", "5000"))
DATABASE = "baton_bench_nurture"


def generate() -> int:
    """LEADS leads of one campaign, nine in ten with consent; the campaign id."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from crm.models import Campaign, Lead

    owner, _created = User.objects.get_or_create(username="bench-marketer")
    campaign, _created = Campaign.objects.get_or_create(
        utm_code="bench-nurture",
        defaults={"name": "Bench nurture", "channel": "email", "owner": owner},
    )
    if Lead.objects.filter(source_campaign=campaign).count() == LEADS:
        return campaign.pk
    # One transaction: a generation that fails half-way leaves nothing behind.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_lead CASCADE")
        cursor.execute(
            """
            INSERT INTO crm_lead (family_name, given_name, family_name_kana, given_name_kana, email,
                phone, phone_digits, search_text, department, title, stage, source_campaign_id,
                created_at, updated_at)
            SELECT (ARRAY['山田','佐藤','鈴木','高橋','田中'])[1 + g %% 5],
                (ARRAY['太郎','花子','一郎','美咲'])[1 + g %% 4], '', '',
                'person' || g || '@example.jp', '', '', 'person' || g, '', '', 'lead', %s,
                now(), now()
            FROM generate_series(1, %s) g
            """,
            [campaign.pk, LEADS],
        )
        cursor.execute(
            "INSERT INTO crm_leadscore (lead_id, fit, engagement) SELECT id, 0, 0 FROM crm_lead"
        )
        cursor.execute(
            "INSERT INTO crm_consent (lead_id, basis, policy_version, given_at, user_agent, source) "
            "SELECT id, 'consent', '2026-01', now(), '', 'bench' FROM crm_lead WHERE id % 10 <> 0"
        )
        cursor.execute("ANALYZE crm_lead; ANALYZE crm_consent")
    return campaign.pk


BODY = "{{ company }}\n{{ name }}\n\nセミナーのご案内です。https://aoba.example.jp/seminar をご覧ください。\n"


def baton_send(campaign_id: int) -> tuple[float, int]:
    from django.core import mail

    from nurture import sending
    from nurture.models import Email, Segment

    segment = Segment.objects.create(name="bench", query=f"campaign={campaign_id}")
    email = Email.objects.create(
        name="bench", language="ja", from_name="青葉商事", from_email="news@aoba.example.jp",
        subject="{{ name }}、ご案内です", body=BODY,
    )  # fmt: skip
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench-marketer")
    start = time.perf_counter()
    send = sending.start_send(email, segment=segment, by=user)
    sending.run(send.pk, budget_seconds=3600)
    elapsed = time.perf_counter() - start
    sent = len(mail.outbox)
    mail.outbox.clear()
    return elapsed, sent


def naive_send(campaign_id: int) -> tuple[float, int]:
    """What one would write first: per lead, ask, render, send, record."""
    from django.core import mail
    from django.core.mail import EmailMultiAlternatives
    from django.template import Context, Template

    from crm.models import Consent, Lead
    from nurture.models import Delivery, Email, Segment, Send

    segment = Segment.objects.create(name="bench-naive", query=f"campaign={campaign_id}")
    email = Email.objects.get(name="bench")
    send = Send.objects.create(
        email=email, segment=segment, language="ja", from_name=email.from_name,
        from_email=email.from_email, subject=email.subject, body=email.body,
    )  # fmt: skip
    subject = Template(email.subject)
    body = Template(email.body)
    leads = Lead.objects.filter(source_campaign_id=campaign_id).order_by("pk")[:NAIVE_LEADS]
    start = time.perf_counter()
    for lead in leads.select_related("company"):
        if not Consent.objects.filter(lead=lead, withdrawn_at__isnull=True).exists():
            continue
        delivery, created = Delivery.objects.get_or_create(send=send, lead=lead)
        if not created:
            continue
        context = Context({"name": f"{lead.family_name} {lead.given_name} 様", "company": ""})
        message = EmailMultiAlternatives(
            subject.render(context), body.render(context), email.from_email, [lead.email]
        )
        message.send()
        delivery.status = Delivery.Status.SENT
        delivery.save(update_fields=["status"])
    elapsed = time.perf_counter() - start
    sent = len(mail.outbox)
    mail.outbox.clear()
    return elapsed, sent


def naive_collect(request: Any) -> Any:
    """Look the visitor up and record the activity inside the request."""
    from django.http import HttpResponse

    from crm import services
    from nurture.models import Visitor

    data = json.loads(request.body)
    visitor = Visitor.objects.filter(visitor_id=data["v"]).select_related("lead").first()
    if visitor:
        services.record_activity(
            visitor.lead, kind="page_view", details={"url": data["u"], "title": data["t"]}
        )
    return HttpResponse(status=204)


def collect(view: Any, visitors: list[str]) -> float:
    from django.test import RequestFactory

    factory = RequestFactory()
    bodies = [
        json.dumps({"v": visitors[i % len(visitors)], "u": f"https://aoba.example.jp/p/{i}",
                    "t": "ページ"})
        for i in range(VIEWS)
    ]  # fmt: skip
    start = time.perf_counter()
    for body in bodies:
        response = view(factory.post("/nurture/collect/", body, content_type="text/plain"))
        if response.status_code != 204:
            raise RuntimeError(f"collect answered {response.status_code}")
    return time.perf_counter() - start


def run() -> None:
    os.environ["OUTBOX_PUBLISH_AT_COMMIT"] = "false"
    os.environ.setdefault("CELERY_BROKER_URL", "")
    setup(DATABASE)
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NURTURE_SEND_RATE_PER_SECOND = 0
    settings.NURTURE_BATCH_SIZE = 1000
    settings.NURTURE_COLLECT_PER_IP_PER_MINUTE = 10**9
    settings.NURTURE_COLLECT_PER_MINUTE = 10**9
    settings.BATON_OUTBOX_PUBLISH_AT_COMMIT = False
    from django.core import mail

    mail.outbox = []
    from crm.models import Activity, Lead, OutboxEvent
    from nurture import visits
    from nurture.models import Delivery, Email, PageView, Segment, Send, Visitor
    from nurture.views_public import collect as baton_collect

    print(f"generating {LEADS:,} leads (9 in 10 with consent)…", flush=True)
    campaign_id = generate()
    Delivery.objects.all().delete()
    Send.objects.all().delete()
    Segment.objects.all().delete()
    Email.objects.all().delete()

    elapsed, sent = baton_send(campaign_id)
    print(
        f"send, Baton: {LEADS:,} recipients, {sent:,} sent in {elapsed:.1f} s "
        f"= {sent / elapsed:,.0f} messages/s",
        flush=True,
    )
    n_elapsed, n_sent = naive_send(campaign_id)
    print(
        f"send, naive: first {NAIVE_LEADS:,} recipients, {n_sent:,} sent in {n_elapsed:.1f} s "
        f"= {n_sent / n_elapsed:,.0f} messages/s",
        flush=True,
    )
    print(f"  Baton / naive: {(sent / elapsed) / (n_sent / n_elapsed):.1f}×", flush=True)

    # Collection: 500 identified visitors.
    lead_ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True)[:500])
    Visitor.objects.all().delete()
    PageView.objects.all().delete()
    Activity.objects.filter(kind="page_view").delete()
    ids = [f"visitor-{pk:012d}" for pk in lead_ids]
    Visitor.objects.bulk_create(
        [Visitor(visitor_id=v, lead_id=pk) for v, pk in zip(ids, lead_ids, strict=True)]
    )
    outbox_before = OutboxEvent.objects.count()
    seconds = collect(baton_collect, ids)
    rows = PageView.objects.count()
    join_start = time.perf_counter()
    written = visits.join_visits()
    join = time.perf_counter() - join_start
    events = OutboxEvent.objects.count() - outbox_before
    print(
        f"collect, Baton: {VIEWS:,} requests in {seconds:.2f} s = {VIEWS / seconds:,.0f}/s "
        f"({rows:,} rows); worker join: {written:,} page_view activities in {join:.2f} s "
        f"({events} outbox events); end to end {VIEWS / (seconds + join):,.0f} views/s",
        flush=True,
    )
    Activity.objects.filter(kind="page_view").delete()
    outbox_before = OutboxEvent.objects.count()
    n_seconds = collect(naive_collect, ids)
    n_written = Activity.objects.filter(kind="page_view").count()
    n_events = OutboxEvent.objects.count() - outbox_before
    print(
        f"collect, naive: {VIEWS:,} requests in {n_seconds:.2f} s = {VIEWS / n_seconds:,.0f}/s "
        f"({n_written:,} page_view activities, {n_events:,} outbox events, in the request)",
        flush=True,
    )
    print(f"  requests/s Baton / naive: {n_seconds / seconds:.1f}×", flush=True)
