"""The audit trail: what is recorded, who may read it, and that nobody can
change it (model, admin and, on PostgreSQL, the database itself)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Action, AppendOnlyError, AuditEntry
from audit.trail import record
from crm import services as crm
from crm.models import Lead, StageChange
from handoff import services
from tests import factories
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (AuditTest)"


def test_login_is_recorded_with_address_and_browser(client, rep):
    response = client.post(
        reverse("login"),
        {"username": "rep", "password": "pw"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT=AGENT,
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.LOGIN)
    assert (entry.actor_username, entry.ip_address, entry.user_agent) == (
        "rep",
        "198.51.100.7",
        AGENT,
    )


def test_failed_login_is_recorded_without_the_password(client, rep):
    client.post(
        reverse("login"),
        {"username": "rep", "password": "wrong-secret"},
        REMOTE_ADDR="198.51.100.8",
        HTTP_USER_AGENT=AGENT,
    )
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor_username == ""
    assert entry.changes == {"username": "rep"}
    assert entry.ip_address == "198.51.100.8"
    assert "wrong-secret" not in str(AuditEntry.objects.values_list())


def test_stage_change_is_recorded_by_whom(rep):
    lead = factories.lead()
    assert crm.change_stage(lead, Lead.Stage.SAL, by=rep, reason=StageChange.Reason.ACCEPTED)
    entry = AuditEntry.objects.get(action=Action.STAGE_CHANGED)
    assert (entry.actor_username, entry.object_type, entry.object_id) == (
        "rep",
        "lead",
        str(lead.pk),
    )
    assert entry.changes == {"stage": ["lead", "sal"]}
    assert entry.summary == "accepted"  # a code, worded when read


def test_stage_change_audit_is_one_insert_and_no_read():
    """The scoring and handoff hot path pays one INSERT for the trail, nothing more."""
    lead = factories.lead()
    with CaptureQueriesContext(connection) as ctx:
        crm.change_stage(lead, Lead.Stage.MQL, reason=StageChange.Reason.SCORE_CROSSED)
    audit = [q["sql"] for q in ctx.captured_queries if "audit_auditentry" in q["sql"]]
    assert len(audit) == 1
    assert audit[0].lstrip().upper().startswith("INSERT")


def test_handoff_life_is_recorded_with_owner_changes(campaign, rep, other_rep, manager):
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    assert services.reassign_handoff(handoff, to=other_rep, by=manager)
    assert services.release_handoff(handoff, rep=other_rep)
    entries = AuditEntry.objects.filter(action=Action.HANDOFF_CHANGED, object_id=str(handoff.pk))
    statuses = [
        (e.changes["status"], e.changes.get("owner"), e.actor_username)
        for e in entries.order_by("pk")
    ]
    assert statuses[0] == (["", "queued"], None, "")
    assert (
        ["queued", "claimed"],
        [None, rep.pk],
        "",
    ) in statuses  # claimed (no request: a service call)
    assert (["claimed", "claimed"], [rep.pk, other_rep.pk], "manager") in statuses
    assert (["claimed", "queued"], [other_rep.pk, None], "other_rep") in statuses


def test_rejection_and_acceptance_are_recorded(campaign, rep):
    first = factories.qualified_handoff(campaign)
    services.claim_handoff(first, rep=rep)
    services.accept_handoff(first, rep=rep)
    assert AuditEntry.objects.filter(changes__status=["claimed", "accepted"]).exists()
    second = factories.qualified_handoff(campaign)
    services.claim_handoff(second, rep=rep)
    services.reject_handoff(second, rep=rep, reason="no_budget")
    rejected = AuditEntry.objects.get(changes__status=["claimed", "rejected"])
    assert rejected.summary == "no_budget" and rejected.changes["owner"] == [rep.pk, None]


def test_lead_export_is_recorded_without_the_search_text(client, marketer):
    factories.lead(family_name="輸出")
    client.force_login(marketer)
    response = client.get(
        reverse("crm:lead_export"), {"q": "secret-person@example.jp", "stage": "lead"}
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=Action.EXPORTED)
    assert entry.actor_username == "marketer"
    assert entry.changes == {"filters": {"q": "…", "stage": "lead"}, "rows": 0}
    assert "secret-person" not in str(entry.changes)


def test_entries_cannot_be_changed_or_deleted_through_the_model(rep):
    entry = record(Action.LOGIN, rep, actor=rep)
    entry.summary = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == ""


def test_admin_offers_no_add_change_or_delete(rf, db):
    from django.contrib.auth.models import User

    superuser = User.objects.create_superuser("root", "root@example.com", "pw")
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEntry]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


def test_postgresql_refuses_update_and_delete_even_in_raw_sql(rep):
    if connection.vendor != "postgresql":
        skip_or_fail("the append-only trigger is PostgreSQL's")
    entry = record(Action.LOGIN, rep, actor=rep)
    for sql in (
        "UPDATE audit_auditentry SET summary = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).summary == ""


def test_managers_read_and_filter_the_trail(client, manager, rep):
    lead = factories.lead()
    crm.change_stage(lead, Lead.Stage.SAL, by=rep)
    record(Action.LOGIN, rep, actor=rep)
    client.force_login(manager)
    url = reverse("audit:entry_list")
    page = client.get(url, {"action": "stage_changed"}).content.decode()
    assert f"Lead #{lead.pk}" in page
    assert "Logged in</td>" not in page
    page = client.get(url, {"user": "rep", "action": "login"}).content.decode()
    assert "Logged in" in page and f"Lead #{lead.pk}" not in page
    page = client.get(url, {"object_type": "lead", "object_id": str(lead.pk)}).content.decode()
    assert f"Lead #{lead.pk}" in page


def test_filter_dates_are_checked(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("audit:entry_list"), {"date_from": "2026-11-02", "date_to": "2026-11-01"}
    )
    assert "The end date cannot be before the start date." in response.content.decode()


def test_the_trail_page_lists_without_one_query_per_entry(client, manager, rep):
    client.force_login(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:entry_list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        record(Action.LOGIN, rep, actor=rep)
    few = queries()
    for _ in range(40):
        record(Action.LOGIN, rep, actor=rep)
    assert queries() == few


def test_the_trail_names_its_actors_as_every_page_names_people(client, manager, rep):
    rep.first_name, rep.last_name = "太郎", "鈴木"
    rep.save(update_fields=["first_name", "last_name"])
    record(Action.LOGIN, rep, actor=rep)
    record(Action.LOGIN, manager, actor=manager)
    from accounts.models import LanguagePreference

    LanguagePreference.objects.update_or_create(user=manager, defaults={"language": "en"})
    client.force_login(manager)
    page = client.get(reverse("audit:entry_list")).content.decode()
    assert "<td>鈴木 太郎</td>" in page  # Japanese script: family name first in English too
    assert "<td>Yuki Takahashi</td>" in page
