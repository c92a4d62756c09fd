"""Personal-data rights: export everything about a person, erase them.

The erasure test plants a sentinel email, name, phone, address and browser in
every way data enters Baton (capture form and JSON, API, CSV import with a
rejected row, a rep's notes and answers, handoffs and their context, deals,
notifications and queued messages, the admin log), erases the person, then
reads every column of every table of the database, whatever its type, and
finds none of them. Tables added later are read the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse

from audit.models import Action, AuditEntry
from crm import privacy
from crm.imports import jobs
from crm.models import Activity, Answer, Consent, Deal, Lead, OutboxEvent, StageChange
from deals import services as deal_services
from handoff import mql, services, work
from handoff.models import Handoff, HandoffPolicy, Notification
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

EMAIL = "zentinel.quixote@sentinel-example.jp"
FAMILY, GIVEN = "Zentinelo", "Quixotta"
FAMILY_JA, GIVEN_JA = "鍵屋敷", "珠璃絵"
PHONE = "090-5551-0199"
PHONE_DIGITS = "09055510199"
IP = "203.0.113.77"
AGENT = "SentinelBrowser/9.9"
# Whatever of these is left anywhere after erasure is a leak.
SENTINELS = [
    EMAIL,
    f"{GIVEN} {FAMILY}",
    f"{FAMILY} {GIVEN}",
    f"{FAMILY_JA} {GIVEN_JA}",
    f"{FAMILY_JA}{GIVEN_JA}",
    f"{GIVEN_JA} {FAMILY_JA}",
    PHONE,
    PHONE_DIGITS,
    IP,
    AGENT,
]


def plant_everywhere(client, campaign, marketer, rep, manager) -> Lead:
    """The sentinel person, entered through every path Baton has."""
    capture = reverse("capture", args=[campaign.capture_key])
    # 1. The capture form: consent with address and browser, a message.
    client.post(
        capture,
        {
            "email": EMAIL,
            "family_name": FAMILY,
            "given_name": GIVEN,
            "phone": PHONE,
            "company": "株式会社センチネル",
            "message": f"Please call {GIVEN} {FAMILY} on {PHONE} or write to {EMAIL}",
            "consent": "on",
        },
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=AGENT,
    )
    # 2. The capture endpoint as JSON (the same person again).
    client.post(
        capture,
        data=json.dumps({"email": EMAIL.upper(), "family_name": FAMILY, "message": PHONE}),
        content_type="application/json",
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=AGENT,
    )
    lead = Lead.objects.get(email=EMAIL)
    # 3. The API: an activity whose details repeat the person, an answer.
    api = token_client(marketer)
    assert (
        api.post(
            "/api/v1/activities/",
            {
                "lead": lead.pk,
                "kind": "page_view",
                "details": {"url": f"/contact?email={EMAIL}", "title": f"{FAMILY} {GIVEN}"},
                "external_id": "ext-1",
            },
            format="json",
        ).status_code
        == 201
    )
    api.post(
        f"/api/v1/leads/{lead.pk}/answers/",
        {"question": "budget", "answer": f"{FAMILY_JA} {GIVEN_JA}様: 500万円", "source": "call"},
        format="json",
    )
    # 4. A CSV import updating the person (Japanese name) and a rejected row about them.
    csv = (
        "email,family_name,given_name,phone,company\n"
        f"{EMAIL},{FAMILY_JA},{GIVEN_JA},{PHONE},株式会社センチネル\n"
        f"not-an-email,{FAMILY_JA},{GIVEN_JA},{PHONE},株式会社センチネル\n"
        "someone.else@example.jp,他人,花子,03-1111-2222,株式会社他社\n"
    ).encode("cp932")
    job = jobs.create_job(
        csv, filename="cards.csv", user=marketer, campaign=campaign, kind="imported"
    )
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    jobs.run(job.pk)
    assert jobs.ImportJob.objects.get().counts["rejected"] == 1
    lead.refresh_from_db()
    # The import renamed the person in Japanese: the old and new names are both sentinels.
    # 5. A handoff (context package, notifications, outbox), rejected with a note.
    policy = HandoffPolicy.current()
    HandoffPolicy.objects.filter(pk=policy.pk).update(recycle_cooldown_days=0)
    handoff = qualify(lead)
    assert services.claim_handoff(handoff, rep=rep)
    work.log_touch(lead, kind="call", note=f"Spoke to {FAMILY_JA}{GIVEN_JA} on {PHONE}", by=rep)
    work.record_answer(lead, question="timeline", answer=f"mail {EMAIL}", source="call", by=rep)
    assert services.reject_handoff(
        handoff, rep=rep, reason="no_budget", note=f"{FAMILY_JA} {GIVEN_JA} has no budget"
    )
    # 6. Handed off again, qualified, a deal named after the person.
    lead.refresh_from_db()
    second = qualify(lead)
    assert services.claim_handoff(second, rep=rep)
    assert services.accept_handoff(second, rep=rep)
    assert services.qualify_handoff(second, rep=rep)
    deal = deal_services.open_deal_from_handoff(
        second,
        rep=rep,
        terms=deal_services.DealTerms(name=f"{FAMILY_JA} {GIVEN_JA}様 案件", amount=Decimal(1)),
    )
    assert deal is not None
    # 7. A message queued for another system that names the person.
    OutboxEvent.objects.create(
        topic="notifications.chat", payload={"lead": {"email": EMAIL, "name": f"{GIVEN} {FAMILY}"}}
    )
    # 8. Django's admin log.
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=str(lead.pk),
        object_repr=f"{GIVEN_JA} {FAMILY_JA} <{EMAIL}>",
        action_flag=CHANGE,
    )
    lead.refresh_from_db()
    return lead


def qualify(lead: Lead) -> Handoff:
    policy = HandoffPolicy.current()
    factories.set_scores(lead, engagement=policy.engagement_threshold + 10)
    with transaction.atomic():  # also from tests that commit
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        handoff = mql.hand_off_if_qualified(lead, policy=policy)
    assert handoff is not None
    return handoff


def every_value_in_the_database() -> Iterator[tuple[str, str, object]]:
    """(table, column, value) for every column of every table, from the schema."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # nosec B608  # a table name from the schema
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield table, column, value


def leaks(sentinels: list[str]) -> list[str]:
    found = []
    needles = [s.lower() for s in sentinels]
    needles += [json.dumps(s)[1:-1].lower() for s in sentinels]  # JSON as SQLite stores it
    raw = [s.encode(enc) for s in sentinels for enc in ("utf-8", "cp932", "utf-16-le")]
    for table, column, value in every_value_in_the_database():
        if isinstance(value, bytes | memoryview):
            data = bytes(value)
            hit = any(n in data or n.lower() in data.lower() for n in raw)
        else:
            text = (
                json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict | list)
                else str(value)
            ).lower()
            hit = any(n in text for n in needles)
        if hit:
            found.append(f"{table}.{column}: {str(value)[:120]!r}")
    return found


def kpi_counts() -> dict[str, int]:
    return {
        "leads": Lead.objects.count(),
        "activities": Activity.objects.count(),
        "handoffs": Handoff.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "answers": Answer.objects.count(),
        "consents": Consent.objects.count(),
        "deals": Deal.objects.count(),
        "notifications": Notification.objects.count(),
    }


@pytest.fixture
def planted(client, campaign, marketer, rep, manager) -> Lead:
    lead = plant_everywhere(client, campaign, marketer, rep, manager)
    # The planting reached everywhere it should (else the scan proves nothing).
    found = "\n".join(leaks(SENTINELS))
    for table in [
        "crm_lead", "crm_activity", "crm_answer", "crm_consent", "crm_deal",
        "crm_importjob", "crm_outboxevent", "handoff_handoff", "django_admin_log",
    ]:  # fmt: skip
        assert f"{table}." in found, f"nothing planted in {table}"
    return lead


def test_erasing_a_person_leaves_no_trace_in_any_column_of_any_table(client, manager, planted):
    before = kpi_counts()
    client.force_login(manager)
    response = client.post(reverse("crm:lead_erase", args=[planted.pk]), {"confirm_email": EMAIL})
    assert response.status_code == 302
    assert leaks(SENTINELS) == []
    assert kpi_counts() == before  # the KPIs still count everything
    entry = AuditEntry.objects.get(action=Action.ERASED)
    assert (entry.actor_username, entry.object_type, entry.object_id) == (
        "manager",
        "lead",
        str(planted.pk),
    )


def test_erased_lead_keeps_its_stage_history_and_pages_still_render(client, manager, planted):
    stages = list(StageChange.objects.filter(lead=planted).values_list("to_stage", flat=True))
    privacy.erase_person(planted, by=manager)
    assert (
        list(StageChange.objects.filter(lead=planted).values_list("to_stage", flat=True)) == stages
    )
    client.force_login(manager)
    for url in [
        reverse("crm:lead_detail", args=[planted.pk]),
        reverse("crm:lead_list"),
        reverse("handoff:queue"),
        reverse("kpi:dashboard"),
    ]:
        assert client.get(url).status_code == 200, url
    for handoff in Handoff.objects.filter(lead=planted):
        assert client.get(reverse("handoff:detail", args=[handoff.pk])).status_code == 200


def test_other_people_are_untouched_by_an_erasure(manager, planted):
    other = Lead.objects.get(email="someone.else@example.jp")
    privacy.erase_person(planted, by=manager)
    other.refresh_from_db()
    assert (other.family_name, other.phone) == ("他人", "03-1111-2222")
    job_rows = jobs.rejected_rows_csv(jobs.ImportJob.objects.get())
    assert EMAIL.encode() not in job_rows


def test_erasure_needs_the_email_typed(client, manager, planted):
    client.force_login(manager)
    url = reverse("crm:lead_erase", args=[planted.pk])
    response = client.post(url, {"confirm_email": "wrong@example.jp"})
    assert response.status_code == 400
    assert "Type the person&#x27;s email address exactly" in response.content.decode()
    assert Lead.objects.filter(email=EMAIL).exists()


def test_export_holds_everything_about_the_person(client, manager, planted):
    client.force_login(manager)
    response = client.get(reverse("crm:lead_personal_data", args=[planted.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["lead"]["email"] == EMAIL
    assert document["company"]["name"] == "株式会社センチネル"
    linked = document["linked"]
    for table in [
        "crm.activity", "crm.answer", "crm.consent", "crm.stagechange", "crm.deal",
        "handoff.handoff", "handoff.notification",
    ]:  # fmt: skip
        assert linked.get(table), f"{table} missing from the export"
    assert any(c["ip_address"] == IP for c in linked["crm.consent"])
    assert "crm.outboxevent" in document["mentioned_in"]
    assert "crm.importjob" in document["mentioned_in"]
    assert AuditEntry.objects.filter(
        action=Action.PERSONAL_DATA_EXPORTED, object_id=str(planted.pk), actor_username="manager"
    ).exists()


def test_only_managers_handle_personal_data_requests(client, marketer, rep, planted):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.get(reverse("crm:lead_personal_data", args=[planted.pk])).status_code == 403
        assert (
            client.post(
                reverse("crm:lead_erase", args=[planted.pk]), {"confirm_email": EMAIL}
            ).status_code
            == 403
        )
    assert Lead.objects.filter(email=EMAIL).exists()


def test_the_api_has_no_personal_data_requests(marketer, manager, planted):
    # A decision: pages only (crm/views_privacy.py says why).
    api = token_client(manager)
    assert api.get(f"/api/v1/leads/{planted.pk}/personal-data/").status_code == 404
    assert api.delete(f"/api/v1/leads/{planted.pk}/").status_code in {403, 405}
