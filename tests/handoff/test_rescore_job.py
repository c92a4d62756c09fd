"""A rule change rescores everyone; leads entering MQL hand off once, leads
leaving it are withdrawn from the queue, and the job reports its progress."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm
from crm.models import Activity, Lead, OutboxEvent, RescoreJob, ScoringRule, StageChange
from crm.topics import Topic
from handoff import consumers, services
from handoff.models import Handoff, HandoffPolicy
from tests import factories

pytestmark = pytest.mark.django_db


def run_job(by=None) -> RescoreJob:
    job = crm.request_rescore(reason=RescoreJob.Reason.RULES, by=by)
    event = OutboxEvent.objects.get(topic=Topic.RESCORE_REQUESTED, payload__job_id=job.pk)
    consumers.rescore_everyone(event.pk)
    job.refresh_from_db()
    return job


def test_a_rule_change_hands_off_the_leads_that_now_qualify_once(rep, marketer):
    lead = factories.lead()
    Activity.objects.create(lead=lead, kind="download")  # 15 points
    ScoringRule.objects.filter(kind="download").update(points=60)
    job = run_job(by=marketer)
    assert job.status == RescoreJob.Status.DONE and job.percent == 100
    assert job.handed_off == 1 and job.changed >= 1
    lead.refresh_from_db()
    assert lead.engagement_score == 60 and lead.stage == Lead.Stage.MQL
    assert run_job().handed_off == 0  # again: nothing new
    assert Handoff.objects.filter(lead=lead).count() == 1


def test_leads_that_no_longer_qualify_leave_the_queue(rep):
    handoff = factories.qualified_handoff()  # scores set by hand, no activities behind them
    job = run_job()
    assert job.withdrawn == 1
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.WITHDRAWN
    lead = Lead.objects.get(pk=handoff.lead_id)
    assert lead.stage == Lead.Stage.LEAD
    assert StageChange.objects.filter(lead=lead, from_stage="mql", to_stage="lead").exists()


def test_claimed_handoffs_are_not_withdrawn(rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert run_job().withdrawn == 0
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED


def test_a_duplicate_delivery_leaves_a_running_job_alone():
    job = crm.request_rescore(reason=RescoreJob.Reason.NIGHTLY)
    assert crm.claim_rescore(job.pk)
    assert not crm.claim_rescore(job.pk)  # its heartbeat is fresh
    RescoreJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert crm.claim_rescore(job.pk)  # its worker died: take over


def test_thresholds_come_from_the_policy(rep):
    HandoffPolicy.objects.filter(pk=1).update(fit_threshold=20, engagement_threshold=0)
    boss = factories.lead(title="営業部長")
    factories.lead(title="担当")
    run_job()
    assert list(Handoff.objects.values_list("lead_id", flat=True)) == [boss.pk]


def test_an_event_for_a_finished_job_is_put_to_rest():
    job = crm.request_rescore(reason=RescoreJob.Reason.NIGHTLY)
    RescoreJob.objects.filter(pk=job.pk).update(status=RescoreJob.Status.FAILED)
    event = OutboxEvent.objects.get(payload__job_id=job.pk)
    consumers.rescore_everyone(event.pk)
    event.refresh_from_db()
    assert event.processed_at is not None
