"""Erasure leaves nothing behind, read the way an auditor would: a pg_dump of
the whole database, searched for every sentinel value in every form it can
take (issue 15.4).

The person is entered through every path Baton has (tests/security/
test_personal_data.py), plus the places erasure missed before: the visitor
mapping and page views (the email URL-encoded in the address), an external id
naming them, webhook events and their delivery log, a names-only row of an
import file and its rejected-rows record, segment queries, a nurture send.
Then every text, JSON and address column of every row linked to them gets a
sentinel of its own. After the erasure, none may survive: as typed, in lower
case, URL-encoded, JSON-escaped, or as the hex of a stored file.
"""

from __future__ import annotations

import json
import os
import subprocess
from itertools import count
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from django.db import connection, models
from django.urls import reverse

from crm import confirmations, privacy
from crm.imports import jobs
from crm.models import CaptureConfirmation, Lead
from crm.privacy import links
from handoff import webhook_events
from handoff.models import ChatDelivery, Handoff
from nurture import sending, visits
from nurture.models import Delivery, Email, PageView, Segment, Visitor
from tests.api.conftest import token_client
from tests.security.test_personal_data import (
    EMAIL,
    FAMILY,
    FAMILY_JA,
    GIVEN,
    GIVEN_JA,
    IP,
    PHONE,
    SENTINELS,
    kpi_counts,
    plant_everywhere,
)
from webhooks import events
from webhooks.models import Delivery as WebhookDelivery
from webhooks.models import Endpoint, Event

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VISITOR = "sentinelVisitor0123456789"
ENCODED_EMAIL = quote(EMAIL, safe="")
_serial = count(1)
WHERE: dict[str, str] = {}  # a filled sentinel -> the column and row it went to


def plant_the_rest(client: Any, lead: Lead, campaign: Any, marketer: Any) -> list[str]:
    """The places the first sentinel test did not reach. Returns sentinels."""
    # 1. The website: views before and after the person is known, the email
    #    URL-encoded in the address; a capture submit names the visitor.
    collect = reverse("nurture:collect")
    address = f"https://aoba.example.jp/u/{ENCODED_EMAIL}/?email={ENCODED_EMAIL}#tel-{PHONE}"
    page = {"v": VISITOR, "u": address, "t": f"{FAMILY_JA} {GIVEN_JA}様のページ"}
    client.post(collect, json.dumps(page), content_type="text/plain")
    client.post(
        reverse("capture", args=[campaign.capture_key]),
        {"email": EMAIL, "family_name": FAMILY_JA, "visitor_id": VISITOR, "consent": "on"},
        REMOTE_ADDR=IP,
    )
    # The lead is known: its visitor id is linked once the person confirms
    # by email (crm/capture.py), with the address and browser of the click.
    asked = CaptureConfirmation.objects.filter(lead=lead).latest("pk")
    assert confirmations.confirm(asked, ip_address=IP, user_agent=f"Browser of {FAMILY}")
    assert visits.join_visits() >= 1
    assert Visitor.objects.filter(visitor_id=VISITOR, lead=lead).exists()
    client.post(collect, json.dumps(page), content_type="text/plain")  # waits, not joined yet
    anonymous = {"v": "someoneElse0123456789", "u": f"https://aoba.example.jp/?e={ENCODED_EMAIL}"}
    client.post(collect, json.dumps(anonymous), content_type="text/plain")
    # 2. An external id naming the person (a sync from another system).
    body = {"lead": lead.pk, "kind": "download", "external_id": f"crm-sync:{EMAIL}"}
    api = token_client(marketer)
    assert api.post("/api/v1/activities/", body, format="json").status_code == 201
    # 3. Webhook events about the person and their delivery log.
    endpoint = Endpoint.objects.create(name="CRM", url="https://hooks.example.com/x", secret="s")
    for handoff in Handoff.objects.filter(lead=lead):
        payload = {"lead": events.lead_data(lead), "handoff": webhook_events.handoff_data(handoff)}
        event = Event.objects.create(
            type="handoff.rejected", data=json.loads(json.dumps(payload, default=str))
        )
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, last_error="HTTP 500")
        ChatDelivery.objects.create(
            handoff=handoff, kind="new_handoff", url="https://hooks.slack.example/x"
        )
    # 4. An import whose file names the person by name only (rejected: no
    #    email), named after them.
    csv = (
        "email,family_name,given_name,phone,note\n"
        f",{FAMILY_JA},{GIVEN_JA},,名刺のみ\n"
        f"colleague@example.jp,同僚,一郎,03-1111-2222,{FAMILY_JA} {GIVEN_JA}の紹介\n"
    ).encode("cp932")
    job = jobs.create_job(
        csv, filename=f"{FAMILY_JA}{GIVEN_JA}.csv", user=marketer, campaign=None, kind="imported"
    )
    jobs.preview(job, columns=job.mapping)
    # 5. Segments that find the person, and a send that reached them.
    Segment.objects.create(name="One", query=f"q={quote_plus(EMAIL)}")
    Segment.objects.create(name="Two", query=f"q={quote_plus(f'{FAMILY_JA} {GIVEN_JA}')}")
    email = Email.objects.create(
        name="E",
        from_name="M",
        from_email="m@example.jp",
        subject="S",
        body=f"{FAMILY_JA} {GIVEN_JA}様へ",
    )
    send = sending.start_send(email, segment=Segment.objects.first(), by=marketer)  # type: ignore[arg-type]
    assert Delivery.objects.filter(send=send, lead=lead).exists()
    # 6. The lead list searched for the person, exported (the audit trail records it).
    client.force_login(marketer)
    assert client.get(reverse("crm:lead_export"), {"q": EMAIL}).status_code == 200
    client.logout()
    return [VISITOR, ENCODED_EMAIL]


# The lead's identity stays as planted (SENTINELS): erasure finds the copies
# elsewhere by it.
IDENTITY = {
    f"crm.lead.{name}"
    for name in ("family_name", "given_name", "family_name_kana", "given_name_kana", "email",
                 "phone", "phone_digits", "search_text")
}  # fmt: skip


def fill_every_linked_field(lead: Lead) -> list[str]:
    """A sentinel of its own in every free-text, JSON and address column of
    every row linked to the person (codes with choices excepted), and in the
    lead's other columns. Returns them."""
    planted: list[str] = []
    for row in [lead, *links.linked_rows(lead)]:
        changes: dict[str, Any] = {}
        declared = links.declared(type(row))
        references = {lookup.split("__")[0] for lookup in declared.refs} if declared else set()
        for field in row._meta.concrete_fields:
            name = f"{links.label(type(row))}.{field.name}"
            if field.primary_key or field.is_relation or field.choices:
                continue
            if field.name in references and not isinstance(field, models.JSONField):
                continue  # what links the row to the person (a visitor id)
            if name in privacy.erase.KEEP_TEXT or name in IDENTITY:
                continue
            sentinel = f"zqsentinel{next(_serial):04d}x"
            WHERE[sentinel] = f"{name} #{row.pk}"
            if isinstance(field, models.GenericIPAddressField):
                changes[field.attname] = IP
            elif isinstance(field, models.JSONField):
                value = getattr(row, field.attname)
                extra = {"sentinel": sentinel, "url": f"https://aoba.example.jp/p?who={sentinel}"}
                changes[field.attname] = {**value, **extra} if isinstance(value, dict) else extra
                planted.append(sentinel)
            elif isinstance(field, models.CharField | models.TextField):
                changes[field.attname] = sentinel[: field.max_length or len(sentinel)]
                planted.append(changes[field.attname])
        if changes:
            type(row)._default_manager.filter(pk=row.pk).update(**changes)
    return planted


def forms(sentinel: str) -> set[str]:
    """Every way a value may sit in a dump: as typed, lower case, URL-encoded,
    JSON-escaped, and as the hex of bytes (bytea columns: the import files)."""
    found = {sentinel, quote(sentinel, safe=""), quote_plus(sentinel), json.dumps(sentinel)[1:-1]}
    for encoding in ("utf-8", "cp932", "utf-16-le"):
        try:
            found.add(sentinel.encode(encoding).hex())
        except UnicodeEncodeError:
            continue
    return {form.lower() for form in found if len(form) >= 3}


def pg_dump() -> str:
    settings = connection.settings_dict
    command = [
        "pg_dump",
        "--host", settings["HOST"] or "127.0.0.1",
        "--port", str(settings["PORT"] or 5432),
        "--username", settings["USER"],
        settings["NAME"],
    ]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    result = subprocess.run(command, capture_output=True, check=True, env=env)  # nosec B603
    return result.stdout.decode("utf-8", errors="replace").lower()


def table_of(dump: str, form: str) -> str:
    """The table whose COPY block holds the first occurrence, for the message."""
    at = dump.index(form)
    start = dump.rfind("\ncopy ", 0, at)
    return dump[start + 6 : dump.index(" ", start + 6)] if start >= 0 else "the schema"


def not_in_the_dump(sentinels: list[str]) -> list[str]:
    dump = pg_dump()
    return [s for s in sentinels if not any(f in dump for f in forms(s))]


def test_no_sentinel_survives_erasure_in_a_dump_of_the_database(
    client, campaign, marketer, rep, manager
):
    lead = plant_everywhere(client, campaign, marketer, rep, manager)
    # Each part of the names too: a names-only row holds them in two cells.
    sentinels = [*SENTINELS, FAMILY, GIVEN, FAMILY_JA, GIVEN_JA]
    sentinels += plant_the_rest(client, lead, campaign, marketer)
    assert not_in_the_dump(sentinels) == []  # else the search would prove nothing
    filled = fill_every_linked_field(lead)  # over some of the values above
    assert not_in_the_dump(filled) == []
    sentinels += filled
    counts = kpi_counts()

    client.force_login(manager)
    response = client.post(reverse("crm:lead_erase", args=[lead.pk]), {"confirm_email": EMAIL})
    assert response.status_code == 302

    after = pg_dump()
    survivors = sorted(
        {
            f"{s} ({WHERE.get(s, 'planted')}) as {f!r} in {table_of(after, f)}"
            for s in sentinels
            for f in forms(s)
            if f in after
        }
    )
    assert survivors == [], "\n".join(survivors)
    assert kpi_counts() == counts  # the KPIs still count every row, anonymous
    assert not Visitor.objects.exists()
    assert not PageView.objects.filter(visitor_id=VISITOR).exists()
