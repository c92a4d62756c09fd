"""Bulk actions on leads: assign an owner, change the stage, add to a campaign.

Set-based, a chunk of leads per statement, and idempotent: doing an action
again on the same leads changes nothing more (an owner already set, a stage
already reached, a campaign already added are left as they are), so a job
retried after a worker died picks up where it stopped. The leads acted on are
always those the user may change (`LeadQuerySet.changeable_by`), checked
again by the worker. Each action leaves one audit entry listing the ids (or,
for a job, their count and the job, which keeps the ids).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit import trail
from crm.models import Activity, BulkJob, Lead, StageChange

logger = logging.getLogger(__name__)

ASSIGN, STAGE, CAMPAIGN = "assign", "stage", "campaign"
ACTIONS = (ASSIGN, STAGE, CAMPAIGN)
# Up to this many leads the request does it; beyond, a Celery job.
SYNC_LIMIT = 1_000
CHUNK = 5_000
# The audit entry of an action done in the request lists the ids.
AUDIT_ACTIONS = {
    ASSIGN: trail.Action.OWNER_CHANGED,
    STAGE: trail.Action.STAGE_CHANGED,
    CAMPAIGN: trail.Action.LEAD_CHANGED,
}


def apply_chunk(action: str, ids: Sequence[int], params: dict[str, Any], *, by: User) -> int:
    """Do `action` on the leads `ids` that `by` may change; how many changed."""
    leads = Lead.objects.changeable_by(by).filter(pk__in=list(ids))
    now = timezone.now()
    if action == ASSIGN:
        # exclude() keeps the leads without an owner (NULL is not the owner).
        return leads.exclude(owner_id=params["owner"]).update(
            owner_id=params["owner"], updated_at=now
        )
    if action == STAGE:
        return _change_stage(leads, params["stage"], params.get("reason", ""), by=by, now=now)
    if action == CAMPAIGN:
        return _add_to_campaign(leads, params["campaign"], by=by, now=now)
    raise ValueError(f"unknown bulk action {action!r}")


def _change_stage(leads: Any, to_stage: str, reason: str, *, by: User, now: Any) -> int:
    """As crm.services.change_stage, for many: the stage history keeps one
    row per lead moved (the KPIs count them); leads already there are left."""
    with transaction.atomic():
        moving = list(leads.exclude(stage=to_stage).select_for_update().values_list("pk", "stage"))
        Lead.objects.filter(pk__in=[pk for pk, _ in moving]).update(stage=to_stage, updated_at=now)
        StageChange.objects.bulk_create(
            StageChange(
                lead_id=pk, from_stage=stage, to_stage=to_stage, changed_at=now,
                changed_by=by, reason=reason[:200],
            )
            for pk, stage in moving
        )  # fmt: skip
    return len(moving)


def _add_to_campaign(leads: Any, campaign_id: int, *, by: User, now: Any) -> int:
    """A timeline entry "added to a campaign" per lead, once: its external id
    names the campaign and the lead, so adding again is a no-op."""
    ids = list(leads.values_list("pk", flat=True))
    keys = {pk: f"campaign-added:{campaign_id}:{pk}" for pk in ids}
    present = set(
        Activity.objects.filter(external_id__in=keys.values()).values_list("external_id", flat=True)
    )
    new = [
        Activity(
            lead_id=pk, kind=Activity.Kind.CAMPAIGN_ADDED, occurred_at=now,
            campaign_id=campaign_id, actor=by, channel=Activity.Channel.APP, external_id=key,
        )
        for pk, key in keys.items() if key not in present
    ]  # fmt: skip
    Activity.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def run_now(action: str, ids: Sequence[int], params: dict[str, Any], *, by: User) -> int:
    """Do it in this request (up to SYNC_LIMIT leads), with its audit entry."""
    with transaction.atomic():
        changed = apply_chunk(action, ids, params, by=by)
        trail.record(
            AUDIT_ACTIONS[action],
            actor=by,
            object_type="leads",
            summary=f"bulk {action}",
            changes={**params, "ids": sorted(ids), "changed": changed},
        )
    return changed


@transaction.atomic
def start_job(action: str, ids: Iterable[int], params: dict[str, Any], *, by: User) -> BulkJob:
    """Queue it for a worker (crm.tasks.run_bulk); the ids are taken now."""
    from crm import tasks

    lead_ids = sorted(ids)
    job = BulkJob.objects.create(
        action=action, params=params, lead_ids=lead_ids, total=len(lead_ids), created_by=by
    )
    transaction.on_commit(lambda: tasks.run_bulk.delay(job.pk), robust=True)
    return job


def run_job(job_id: int) -> None:
    """Apply a queued job, chunk by chunk from where it stopped. Safe to run
    twice, also at once: each chunk is idempotent, and only the run that
    marks the job done writes the audit entry."""
    claimed = BulkJob.objects.filter(
        Q(status=BulkJob.Status.QUEUED) | Q(status=BulkJob.Status.RUNNING), pk=job_id
    ).update(status=BulkJob.Status.RUNNING)
    if not claimed:
        logger.info("bulk job %s is not queued; skipped", job_id)
        return
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    if job.created_by is None:
        BulkJob.objects.filter(pk=job_id).update(status=BulkJob.Status.FAILED)
        return
    try:
        for start in range(job.processed - job.processed % CHUNK, job.total, CHUNK):
            chunk = job.lead_ids[start : start + CHUNK]
            with transaction.atomic():
                changed = apply_chunk(job.action, chunk, job.params, by=job.created_by)
                BulkJob.objects.filter(pk=job_id, processed__lt=start + len(chunk)).update(
                    processed=start + len(chunk), changed=F("changed") + changed
                )
    except Exception as exc:
        logger.exception("bulk job %s failed", job_id)
        BulkJob.objects.filter(pk=job_id).update(
            status=BulkJob.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    _finish(job)


@transaction.atomic
def _finish(job: BulkJob) -> None:
    done = BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.RUNNING).update(
        status=BulkJob.Status.DONE, finished_at=timezone.now()
    )
    if done:
        changed = BulkJob.objects.values_list("changed", flat=True).get(pk=job.pk)
        trail.record(
            AUDIT_ACTIONS[job.action],
            actor=job.created_by,
            object_type="bulkjob",
            object_id=job.pk,
            summary=f"bulk {job.action}",
            changes={**job.params, "count": job.total, "changed": changed},
        )


def requeue_stale(*, older_than_minutes: int = 2) -> int:
    """Send again the jobs queued long ago that no worker has started."""
    from crm import tasks

    since = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = BulkJob.objects.filter(status=BulkJob.Status.QUEUED, created_at__lt=since)
    ids = list(stale.values_list("pk", flat=True))
    for job_id in ids:
        tasks.run_bulk.delay(job_id)
    return len(ids)
