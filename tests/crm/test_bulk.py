"""Bulk actions on the lead list: the selection or all the filters match,
within the user's scope, one audit entry each, a job over 1,000 leads."""

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from crm import bulk
from crm.models import Activity, BulkJob, Lead, StageChange
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db

URL = reverse("crm:lead_bulk")


def post(client, ids=(), **data):
    return client.post(URL, {"ids": [str(i) for i in ids], **data})


def test_assign_the_selected_leads_one_audit_entry_listing_them(client_as, marketer, rep):
    leads = [factories.lead() for _ in range(3)]
    untouched = factories.lead()
    response = post(
        client_as(marketer), [lead.pk for lead in leads], action="assign", to_owner=rep.pk
    )
    assert response.status_code == 302
    assert set(Lead.objects.filter(owner=rep).values_list("pk", flat=True)) == {
        lead.pk for lead in leads
    }
    untouched.refresh_from_db()
    assert untouched.owner is None
    entry = AuditEntry.objects.get(action="owner_changed")
    assert entry.changes["ids"] == sorted(lead.pk for lead in leads)
    assert entry.changes["owner"] == rep.pk and entry.actor_id == marketer.pk


def test_all_matching_the_filter(client_as, marketer, rep):
    mqls = [factories.lead(stage="mql") for _ in range(3)]
    other = factories.lead(stage="lead")
    post(
        client_as(marketer),
        action="assign",
        to_owner=rep.pk,
        all_matching="on",
        filters="stage=mql",
    )
    assert set(Lead.objects.filter(owner=rep).values_list("pk", flat=True)) == {m.pk for m in mqls}
    other.refresh_from_db()
    assert other.owner is None


def test_a_rep_changes_only_their_own_leads_also_for_all_matching(client_as, rep, other_rep):
    own = factories.lead(owner=rep, stage="sal")
    theirs = factories.lead(owner=other_rep, stage="sal")
    waiting = factories.lead(stage="mql")  # visible to reps, not theirs to change
    client = client_as(rep)
    post(client, [own.pk, theirs.pk, waiting.pk], action="stage", to_stage="sql", reason="call")
    post(client, action="stage", to_stage="sql", reason="call", all_matching="on", filters="")
    assert Lead.objects.get(pk=own.pk).stage == "sql"
    assert Lead.objects.get(pk=theirs.pk).stage == "sal"
    assert Lead.objects.get(pk=waiting.pk).stage == "mql"


def test_managers_change_nothing(client_as, manager, rep):
    lead = factories.lead()
    post(client_as(manager), [lead.pk], action="assign", to_owner=rep.pk)
    lead.refresh_from_db()
    assert lead.owner is None and not AuditEntry.objects.filter(action="owner_changed").exists()


def test_stage_change_needs_a_reason_and_keeps_the_history(client_as, marketer):
    leads = [
        factories.lead(stage="lead"),
        factories.lead(stage="mql"),
        factories.lead(stage="recycled"),
    ]
    ids = [lead.pk for lead in leads]
    client = client_as(marketer)
    post(client, ids, action="stage", to_stage="recycled")
    assert not StageChange.objects.exists()  # no reason: refused
    post(client, ids, action="stage", to_stage="recycled", reason="no budget this year")
    changes = StageChange.objects.order_by("lead_id")
    assert [(c.from_stage, c.to_stage) for c in changes] == [
        ("lead", "recycled"),
        ("mql", "recycled"),
    ]
    assert {c.reason for c in changes} == {"no budget this year"}
    entry = AuditEntry.objects.get(action="stage_changed")
    assert entry.changes["changed"] == 2 and entry.changes["ids"] == ids


def test_add_to_a_campaign_once(client_as, marketer, campaign):
    leads = [factories.lead() for _ in range(2)]
    client = client_as(marketer)
    for _ in range(2):
        post(client, [lead.pk for lead in leads], action="campaign", to_campaign=campaign.pk)
    added = Activity.objects.filter(kind=Activity.Kind.CAMPAIGN_ADDED, campaign=campaign)
    assert added.count() == 2
    assert AuditEntry.objects.filter(action="lead_changed").count() == 2


def test_export_the_selection(client_as, marketer):
    chosen = factories.lead(email="chosen@example.com")
    factories.lead(email="not@example.com")
    response = post(client_as(marketer), [chosen.pk], action="export")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and "chosen@example.com" in rows[1]
    assert AuditEntry.objects.get(action="exported").changes["ids"] == [chosen.pk]


def test_reps_do_not_export(client_as, rep):
    lead = factories.lead(owner=rep)
    response = post(client_as(rep), [lead.pk], action="export")
    assert response.status_code == 302


def test_merge_two_selected_goes_to_the_confirmation(client_as, marketer):
    a, b = factories.lead(), factories.lead()
    client = client_as(marketer)
    response = post(client, [b.pk, a.pk], action="merge")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "crm/merge_confirm.html" in [t.name for t in page.templates]
    three = post(client, [a.pk, b.pk, factories.lead().pk], action="merge")
    assert three["Location"].startswith(reverse("crm:lead_list"))


def test_bad_input_is_a_sentence_never_a_5xx(client_as, marketer):
    client = client_as(marketer)
    for data in (
        {"action": "assign"},
        {"action": "nonsense", "ids": ["1"]},
        {"action": "assign", "ids": ["x", "99999999999999999"], "to_owner": "1"},
        {"action": "assign", "all_matching": "on", "filters": "created_from=nope", "to_owner": "1"},
    ):
        response = client.post(URL, data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"])


def test_over_the_limit_it_runs_as_a_job(client_as, marketer, rep, monkeypatch, in_process_tasks):
    monkeypatch.setattr(bulk, "SYNC_LIMIT", 2)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    leads = [factories.lead() for _ in range(5)]
    client = client_as(marketer)
    response = post(client, [lead.pk for lead in leads], action="assign", to_owner=rep.pk)
    job = BulkJob.objects.get()
    assert response["Location"] == reverse("crm:bulk_job", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    if job.status != BulkJob.Status.DONE:  # the task ran after the commit
        bulk.run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.changed) == (BulkJob.Status.DONE, 5, 5)
    assert Lead.objects.filter(owner=rep).count() == 5
    entry = AuditEntry.objects.get(action="owner_changed")
    assert entry.changes["count"] == 5 and entry.object_id == str(job.pk)


def test_a_job_run_again_changes_nothing_more(marketer, rep, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    leads = [factories.lead(stage="lead") for _ in range(5)]
    job = BulkJob.objects.create(
        action="stage", params={"stage": "mql", "reason": "x"}, created_by=marketer,
        lead_ids=[lead.pk for lead in leads], total=5, status=BulkJob.Status.RUNNING, processed=2,
    )  # fmt: skip
    # As if a worker died after the first chunk: its leads are already done.
    bulk.apply_chunk("stage", job.lead_ids[:2], job.params, by=marketer)
    bulk.run_job(job.pk)
    bulk.run_job(job.pk)  # a second delivery: the job is done, skipped
    assert StageChange.objects.count() == 5
    assert AuditEntry.objects.filter(action="stage_changed").count() == 1


def test_another_users_job_is_404(client_as, marketer, rep):
    job = BulkJob.objects.create(action="assign", params={}, created_by=marketer)
    missing = client_as(rep).get(reverse("crm:bulk_job", args=[999_999]))
    theirs = client_as(rep).get(reverse("crm:bulk_job", args=[job.pk]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_job_retried_without_changing_twice(celery_worker, marketer, rep):
    leads = [factories.lead(stage="lead") for _ in range(30)]
    ids = [lead.pk for lead in leads]
    job = bulk.start_job("stage", ids, {"stage": "mql", "reason": "webinar"}, by=marketer)
    wait_until(lambda: BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.DONE, timeout=60)
    # The same message delivered again (acks_late after a lost worker).
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING, processed=0)
    from crm import tasks

    tasks.run_bulk.delay(job.pk)
    wait_until(lambda: BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.DONE, timeout=60)
    assert StageChange.objects.filter(lead_id__in=ids).count() == 30
    assert Lead.objects.filter(pk__in=ids, stage="mql").count() == 30
    assert AuditEntry.objects.filter(action="stage_changed", object_type="bulkjob").count() == 2


def test_the_audit_page_reads_a_bulk_entry_as_sentences(client_as, marketer, rep):
    from django.utils import translation

    from audit import display

    leads = [factories.lead(stage="lead") for _ in range(2)]
    post(
        client_as(marketer), [lead.pk for lead in leads], action="stage", to_stage="mql", reason="x"
    )
    with translation.override("ja"):
        (shown,) = display.present(AuditEntry.objects.filter(action="stage_changed"))
        assert shown.summary == "一括操作：ステージを変更"
        labels = {line.label: line.text for line in shown.lines}
        assert labels["ステージ"] == "MQL" and "リード（ID）" in labels


def test_the_progress_bar_is_polled_until_the_job_is_done(client_as, marketer):
    job = BulkJob.objects.create(
        action="assign", params={"owner": marketer.pk}, created_by=marketer, total=4000,
        processed=1000, status=BulkJob.Status.RUNNING,
    )  # fmt: skip
    client = client_as(marketer)
    url = reverse("crm:bulk_job", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'value="25"' in fragment
    assert "<html" not in fragment
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE, processed=4000)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'data-testid="bulk-done"' in done


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("marketer", ["assign", "stage", "campaign", "export", "merge"]),
        ("rep", ["assign", "stage", "campaign"]),
        ("manager", ["export"]),
    ],
)
def test_the_bar_offers_only_the_actions_the_user_may_take(client_as, request, role, offered):
    user = request.getfixturevalue(role)
    factories.lead(owner=user if role == "rep" else None, stage="sal")
    html = client_as(user).get(reverse("crm:lead_list"), {"view": "none"}).content.decode()
    select = html.split('id="bulk-action"', 1)[1].split("</select>", 1)[0]
    assert [
        v for v in ("assign", "stage", "campaign", "export", "merge") if f'value="{v}"' in select
    ] == offered
