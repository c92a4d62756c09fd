"""What each outbox topic of handoff's does: the tasks in handoff/tasks.py
fetch nothing and call one function here.

- activity.recorded (crm.services.record_activity): `drain_activity_events`
  scores the activities in batches and hands off the leads that cross.
- activities.recorded (an import chunk, an API batch, a page-visit flush):
  `process_activity_batch_event`, the same for one event's activities.
- scoring.rescore_requested (crm.services.request_rescore): `rescore_everyone`.
- notifications.email and notifications.chat (handoff.notify.send):
  `notify.email_notifications_event` and `notify.deliver_chat_event`.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from crm import drain, outbox, rescore
from crm import services as crm
from crm.topics import Topic
from handoff.models import Handoff
from handoff.mql import score_and_hand_off, sync_mql_stage

logger = logging.getLogger(__name__)


@transaction.atomic
def process_activity_batch_event(event_id: int) -> list[Handoff]:
    """Score the activities one event announces (an imported chunk, an API
    batch or a page-visit flush), then hand off every lead that now
    qualifies. The event is claimed in this transaction: a duplicate delivery
    finds it processed and does nothing."""
    payload = outbox.claim(event_id)
    if payload is None:
        return []
    return score_and_hand_off(payload["activity_ids"])


def drain_activity_events(
    *, batch: int = 100, budget_seconds: float = 5.0, linger: float | None = None
) -> int:
    """Score the activity events as they come, a batch per transaction, until
    none has come for `linger` seconds (BATON_OUTBOX_DRAIN_LINGER). Returns
    how many events were processed.

    Each batch is claimed with SKIP LOCKED, so two drains at once share the
    work. While it works and lingers this drain holds the flag that makes new
    events wake it instead of publishing another task (crm/drain.py); before
    it stops it lowers the flag and looks once more. Past its budget it hands
    over to a new task, so that one task never holds a worker for long.
    """
    topic = Topic.ACTIVITY_RECORDED
    linger = settings.BATON_OUTBOX_DRAIN_LINGER if linger is None else linger
    deadline = time.monotonic() + budget_seconds
    done = 0
    while True:
        taken = _score_waiting_events_through_a_restart(batch, deadline=deadline)
        done += taken
        if time.monotonic() > deadline:
            drain.hand_over(topic)
            return done
        # Fewer than a batch: none were left waiting when it was claimed.
        if taken == batch or drain.wait(topic, seconds=linger):
            continue
        if drain.stop(topic):
            # What was committed before the flag came down; later events ask anew.
            while taken := score_waiting_events(batch):
                done += taken
        return done


def _score_waiting_events_through_a_restart(batch: int, *, deadline: float) -> int:
    """score_waiting_events, riding out a lost database connection (PostgreSQL
    restarting): a new connection is tried every moment until `deadline`
    (then 0: the caller hands over). A drain that died with its connection
    would keep its flag up, and new events would only wake a drain that is
    gone until the flag expired (10 s). Nothing was committed by the batch
    that failed: its events are still waiting."""
    pause = 0.05
    while True:
        try:
            return score_waiting_events(batch)
        except (OperationalError, InterfaceError) as exc:
            connection.close()  # the next query opens a new one
            if time.monotonic() + pause > deadline:
                return 0
            logger.warning("activity drain: database unavailable (%s); trying again", exc)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def score_waiting_events(batch: int) -> int:
    """Claim up to `batch` waiting activity events and score them, in one
    transaction. Returns how many were claimed."""
    with transaction.atomic():
        payloads = outbox.claim_pending(Topic.ACTIVITY_RECORDED, limit=batch)
        if payloads:
            score_and_hand_off([p["activity_id"] for p in payloads])
    return len(payloads)


def rescore_everyone(event_id: int) -> None:
    """Rescore every lead (rules changed, or the nightly decay), then bring the
    MQL stage in line with the scores.

    1. Claim the job (a duplicate delivery while it runs does nothing).
    2. Rescore set-based, batch by batch, beating the job's heartbeat.
    3. Hand off every lead that now qualifies and was not handed off, once.
    4. Withdraw the waiting handoffs of leads that no longer qualify, and
       record their return to the lead stage.
    """
    from crm.models import OutboxEvent, RescoreJob, ScoringRule

    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    job_id = event.payload["job_id"]
    if not crm.claim_rescore(job_id):
        finished = [RescoreJob.Status.DONE, RescoreJob.Status.FAILED]
        if not RescoreJob.objects.filter(pk=job_id).exclude(status__in=finished).exists():
            outbox.mark_processed(event_id)  # nothing left to do: stop the sweep resending it
        return
    try:
        rules = ScoringRule.objects.active().snapshot()
        changed = rescore.rescore_all(
            rules,
            now=timezone.now(),
            progress=lambda done, total: crm.record_rescore_progress(job_id, done, total),
        )
        handed, withdrawn = sync_mql_stage()
    except Exception:
        RescoreJob.objects.filter(pk=job_id).update(status=RescoreJob.Status.FAILED)
        raise
    RescoreJob.objects.filter(pk=job_id).update(
        status=RescoreJob.Status.DONE,
        changed=changed,
        handed_off=handed,
        withdrawn=withdrawn,
        finished_at=timezone.now(),
    )
    outbox.mark_processed(event_id)
