"""After an erasure: what is left of the person, and what can no longer bring
them back (issue 15.4). The whole-database check is test_erasure_dump.py."""

from __future__ import annotations

import hashlib
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from crm import privacy
from crm.imports import jobs, reading
from crm.models import Activity, Consent, Lead, OutboxEvent, Tombstone
from handoff import mql, webhook_events
from handoff.models import Handoff, HandoffPolicy
from nurture import sending, tokens, tracking, visits
from nurture.models import Delivery, Email, PageView, Segment, Visitor
from tests import factories
from webhooks import events
from webhooks.models import Delivery as WebhookDelivery
from webhooks.models import Endpoint, Event

pytestmark = pytest.mark.django_db

EMAIL = "hanako.sato@example.jp"
MOBILE = "090-1234-5678"
VISITOR = "visitorOfHanako12345"
COLLECT = "/nurture/collect/"


@pytest.fixture
def person(campaign) -> Lead:
    return factories.lead(
        family_name="佐藤", given_name="花子", email=EMAIL, phone=MOBILE, source_campaign=campaign
    )


def capture(client, campaign, **fields) -> object:
    data = {"email": EMAIL, "family_name": "佐藤", **fields}
    return client.post(reverse("capture", args=[campaign.capture_key]), data)


def page_view(client, url: str = "https://aoba.example.jp/pricing", **body) -> None:
    payload = {"v": VISITOR, "u": url, "t": "料金", **body}
    assert client.post(COLLECT, json.dumps(payload), content_type="text/plain").status_code == 204


def import_csv(text: str, marketer, *, encoding: str = "utf-8", filename: str = "cards.csv"):
    job = jobs.create_job(
        text.encode(encoding), filename=filename, user=marketer, campaign=None, kind="imported"
    )
    jobs.preview(job, columns=job.mapping)
    return jobs.ImportJob.objects.get(pk=job.pk)


# --- What is left ---------------------------------------------------------------


def test_the_lead_stays_as_an_anonymous_placeholder_marked_erased(person, manager):
    Consent.objects.create(lead=person, basis="consent", ip_address="203.0.113.9")
    privacy.erase_person(person, by=manager)
    person.refresh_from_db()
    assert person.is_erased
    assert (person.family_name, person.email, person.phone) == (
        "[erased]",
        f"erased-{person.pk}@erased.invalid",
        "",
    )
    consent = Consent.objects.get()
    assert consent.withdrawn_at is not None  # no send reaches the placeholder
    assert consent.ip_address is None


def test_a_second_erasure_changes_nothing(person, manager):
    privacy.erase_person(person, by=manager)
    assert privacy.erase_person(person, by=manager) == privacy.Erasure()


def test_tombstones_hold_keyed_hashes_never_the_address(person, manager):
    privacy.erase_person(person, by=manager)
    digests = set(Tombstone.objects.values_list("digest", flat=True))
    assert len(digests) == 2  # the email and the mobile number
    plain = {hashlib.sha256(v.encode()).hexdigest() for v in (EMAIL, "09012345678")}
    assert not digests & plain
    assert privacy.is_erased(email=EMAIL.upper())
    assert privacy.is_erased(phone="+81 90 1234 5678")


def test_a_rotated_secret_key_keeps_its_tombstones(person, manager, settings):
    privacy.erase_person(person, by=manager)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert privacy.is_erased(email=EMAIL)


def test_activity_addresses_keep_the_page_only(person, manager):
    address = "https://aoba.example.jp/pricing?email=hanako.sato%40example.jp&utm=x#contact"
    Activity.objects.create(
        lead=person,
        kind="page_view",
        details={"url": address, "title": "料金"},
        external_id=f"sync:{EMAIL}",
    )
    privacy.erase_person(person, by=manager)
    activity = Activity.objects.get()
    assert activity.details == {"url": "https://aoba.example.jp/pricing", "title": "[erased]"}
    assert activity.external_id is None


def test_webhook_events_about_the_person_keep_only_facts(person, manager, rep):
    handoff = factories.qualified_handoff()
    Handoff.objects.filter(pk=handoff.pk).update(lead=person, reject_note="予算は来期")
    handoff.refresh_from_db()
    endpoint = Endpoint.objects.create(name="CRM", url="https://hooks.example.com/x", secret="s")
    data = {"lead": events.lead_data(person), "handoff": webhook_events.handoff_data(handoff)}
    event = Event.objects.create(type="lead.mql", data=json.loads(json.dumps(data, default=str)))
    WebhookDelivery.objects.create(endpoint=endpoint, event=event, last_error="timeout")
    privacy.erase_person(person, by=manager)
    event.refresh_from_db()
    assert event.data["handoff"]["reject_note"] == "[erased]"
    assert event.data["lead"]["email"] == "[erased]"
    assert (event.data["lead"]["id"], event.data["handoff"]["lead"]) == (person.pk, person.pk)
    assert WebhookDelivery.objects.get().last_error == "[erased]"


def test_mentions_elsewhere_are_found_in_every_encoding(person, manager):
    """Segment queries keep URL-encoded text; SQLite keeps JSON with escapes."""
    Segment.objects.create(name="One", query="q=hanako.sato%40example.jp&stage=mql")
    Segment.objects.create(name="Two", query="q=%E4%BD%90%E8%97%A4+%E8%8A%B1%E5%AD%90")
    OutboxEvent.objects.create(topic="x", payload={"to": {"name": "佐藤 花子", "id": 7}})
    privacy.erase_person(person, by=manager)
    assert list(Segment.objects.order_by("name").values_list("query", flat=True)) == [
        "q=[erased]&stage=mql",
        "q=[erased]",
    ]
    assert OutboxEvent.objects.get().payload == {"to": {"name": "[erased]", "id": 7}}


def test_an_import_file_loses_the_persons_rows_and_keeps_the_line_numbers(
    person, manager, marketer
):
    job = import_csv(
        "email,family_name,given_name,phone,note\n"
        f"{EMAIL},佐藤,花子,{MOBILE},\n"
        ",佐藤,花子,,名刺のみ\n"  # names only: rejected, and still theirs
        "taro@example.jp,鈴木,太郎,03-1111-2222,佐藤 花子さんの紹介\n"
        "not-an-email,高橋,健,,\n",
        marketer,
        encoding="cp932",
        filename="佐藤花子さんの名刺.csv",
    )
    assert [r["line"] for r in job.rejections] == [3, 5]
    privacy.erase_person(person, by=manager)
    job.refresh_from_db()
    table = reading.read_table(bytes(job.content), filename=job.filename)
    assert table.encoding == "cp932"
    assert table.rows == [
        ["", "", "", "", ""],
        ["", "", "", "", ""],
        ["taro@example.jp", "鈴木", "太郎", "03-1111-2222", "[erased]さんの紹介"],
        ["not-an-email", "高橋", "健", "", ""],
    ]
    assert [r["line"] for r in job.rejections] == [5]
    assert job.filename == "[erased]さんの名刺.csv"
    assert "佐藤".encode() not in jobs.rejected_rows_csv(job)


def test_an_xlsx_import_is_rewritten_without_the_person(person, manager, marketer):
    book = openpyxl.Workbook()
    book.active.append(["email", "family_name", "given_name"])
    book.active.append([EMAIL, "佐藤", "花子"])
    book.active.append(["taro@example.jp", "鈴木", "太郎"])
    data = io.BytesIO()
    book.save(data)
    job = jobs.create_job(
        data.getvalue(), filename="cards.xlsx", user=marketer, campaign=None, kind="imported"
    )
    privacy.erase_person(person, by=manager)
    job.refresh_from_db()
    table = reading.read_table(bytes(job.content), filename=job.filename)
    assert table.rows == [["", "", ""], ["taro@example.jp", "鈴木", "太郎"]]


# --- What cannot bring them back --------------------------------------------------


def test_a_page_view_sent_after_erasure_joins_nobody(client, campaign, manager):
    capture(client, campaign, visitor_id=VISITOR)
    visits.join_visits()
    lead = Lead.objects.get(email=EMAIL)
    assert Visitor.objects.filter(lead=lead).exists()
    privacy.erase_person(lead, by=manager)
    assert not Visitor.objects.exists()
    page_view(client)
    assert visits.join_visits() == 0
    assert not Activity.objects.filter(lead=lead, kind="page_view").exists()
    assert PageView.objects.count() == 1  # anonymous now, purged with the others


def test_a_mapping_written_during_the_erasure_joins_nothing(client, person, manager):
    privacy.erase_person(person, by=manager)
    Visitor.objects.create(visitor_id=VISITOR, lead=person)  # a worker that read it before
    page_view(client)
    assert visits.join_visits() == 0
    assert not Activity.objects.filter(lead=person).exists()


def test_a_tracking_token_from_an_old_email_identifies_nobody(client, person, manager):
    token = visits.visitor_token(person.pk)
    privacy.erase_person(person, by=manager)
    page_view(client, i=token)
    assert visits.join_visits() == 0
    assert not Visitor.objects.exists()


def test_opens_and_clicks_of_an_old_email_record_nothing(client, person, manager, marketer):
    email = Email.objects.create(
        name="E", from_name="M", from_email="m@example.jp", subject="S",
        body="https://aoba.example.jp/pricing",
    )  # fmt: skip
    send = sending.start_send(email, segment=Segment.objects.create(name="All"), by=marketer)
    delivery = Delivery.objects.get_or_create(
        send=send, lead=person, defaults={"status": Delivery.Status.SENT}
    )[0]
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    privacy.erase_person(person, by=manager)
    assert not tracking.record_open(delivery.pk)
    click = tokens.make(tokens.CLICK, [delivery.pk, "https://aoba.example.jp/pricing"])
    assert client.get(reverse("nurture:click", args=[click])).status_code == 400
    assert not Activity.objects.filter(lead=person).exists()


def test_an_erased_lead_never_hands_off_again(person, manager):
    privacy.erase_person(person, by=manager)
    policy = HandoffPolicy.current()
    factories.set_scores(person, fit=100, engagement=policy.engagement_threshold + 100)
    person = Lead.objects.select_for_update().get(pk=person.pk)
    assert mql.hand_off_if_qualified(person, policy=policy) is None


def test_a_capture_without_consent_records_nothing_and_answers_as_usual(
    client, campaign, person, manager
):
    privacy.erase_person(person, by=manager)
    before = Lead.objects.count()
    response = capture(client, campaign, given_name="花子")
    assert response.status_code == 200
    assert "capture_thanks" in [t.name.split("/")[-1].split(".")[0] for t in response.templates]
    assert Lead.objects.count() == before
    assert privacy.is_erased(email=EMAIL)


def test_a_capture_with_a_new_consent_makes_a_fresh_person(client, campaign, person, manager):
    Activity.objects.create(lead=person, kind="note", details={"note": "昔の記録"})
    privacy.erase_person(person, by=manager)
    capture(client, campaign, consent="on")
    fresh = Lead.objects.get(email=EMAIL)
    assert fresh.pk != person.pk
    assert list(fresh.activities.values_list("kind", flat=True)) == ["form_submit"]
    assert fresh.consents.count() == 1
    assert not privacy.is_erased(email=EMAIL)  # they came back: the tombstone is lifted
    assert Lead.objects.get(pk=person.pk).is_erased


def test_an_import_refuses_an_erased_person_and_keeps_nothing_of_the_row(person, manager, marketer):
    privacy.erase_person(person, by=manager)
    job = import_csv(
        f"email,family_name,given_name\n{EMAIL.upper()},佐藤,花子\ntaro@example.jp,鈴木,太郎\n",
        marketer,
    )
    assert (job.counts["new"], job.counts["rejected"]) == (1, 1)
    assert job.rejections == [
        {
            "line": 2,
            "reason": "This person asked to be erased: they come back only by signing up again.",
            "params": {},
            "values": [],
        }
    ]
    jobs.start(job)
    jobs.run(job.pk)
    assert not Lead.objects.filter(email=EMAIL).exists()
    assert EMAIL.encode() not in jobs.rejected_rows_csv(jobs.ImportJob.objects.get(pk=job.pk))


def test_an_import_refuses_an_erased_mobile_under_a_new_email(person, manager, marketer):
    person.phone = MOBILE
    privacy.erase_person(person, by=manager)
    job = import_csv(
        "email,family_name,phone\n"
        "hanako.new@example.jp,佐藤,090 1234 5678\n"
        "colleague@example.jp,鈴木,03-1111-2222\n",
        marketer,
    )
    assert [r["line"] for r in job.rejections] == [2]


def test_a_shared_landline_erases_nobody_else(campaign, manager, marketer):
    lead = factories.lead(email="a@example.jp", phone="03-1111-2222")
    privacy.erase_person(lead, by=manager)
    job = import_csv("email,family_name,phone\nb@example.jp,同僚,03-1111-2222\n", marketer)
    assert job.rejections == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_audit_trail_keeps_no_address_or_browser_of_a_public_request(
    client, campaign, in_process_tasks
):
    """A capture that hands the lead off in the same request (tasks run in
    process, as under `make run`): the trail's entries name the lead by id,
    and the address and browser are the person's own, so they stay out."""
    HandoffPolicy.objects.filter(pk=HandoffPolicy.current().pk).update(
        fit_threshold=0, engagement_threshold=1
    )
    response = client.post(
        reverse("capture", args=[campaign.capture_key]),
        {"email": EMAIL, "family_name": "佐藤"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="PersonBrowser/1.0",
    )
    assert response.status_code == 200
    assert Handoff.objects.filter(lead__email=EMAIL).exists()
    entries = AuditEntry.objects.all()
    assert entries.exists()
    assert not entries.filter(ip_address="203.0.113.9").exists()
    assert not entries.exclude(user_agent="").exists()


def test_a_colleague_on_the_same_switchboard_keeps_their_row_in_an_import_file(manager, marketer):
    lead = factories.lead(
        family_name="佐藤", given_name="花子", email="a@example.jp", phone="03-1111-2222"
    )
    job = import_csv("email,family_name,phone\nb@example.jp,同僚,03-1111-2222\n", marketer)
    privacy.erase_person(lead, by=manager)
    job.refresh_from_db()
    table = reading.read_table(bytes(job.content), filename=job.filename)
    assert table.rows == [["b@example.jp", "同僚", "[erased]"]]
