from celery import shared_task

from handoff import services


@shared_task
def process_activity_event(event_id: int) -> None:
    """Score one recorded activity and hand off its lead on crossing.

    Safe to run twice: the outbox event is claimed with a conditional update in
    the same transaction as the scoring, so a duplicate delivery does nothing.
    """
    services.process_activity_event(event_id)


@shared_task
def process_activity_batch_event(event_id: int) -> None:
    """Score a batch of recorded activities (an import chunk) and hand off.

    Safe to run twice: the event is claimed in the transaction that applies it,
    and each activity is scored once by crm's ledger.
    """
    services.process_activity_batch_event(event_id)


@shared_task
def rescore_everyone_event(event_id: int) -> None:
    """Rescore every lead and bring the MQL stage in line.

    Safe to run twice: the job is claimed by a conditional update (a duplicate
    waits out a live heartbeat), the rescore writes what the rules give, and
    the handoff constraint allows one live handoff per lead.
    """
    services.rescore_everyone(event_id)


@shared_task
def nightly_rescore() -> None:
    """Queue the nightly rescore (decay). Safe to run twice: two jobs rescore
    to the same numbers."""
    from crm import services as crm_services
    from crm.models import RescoreJob

    crm_services.request_rescore(reason=RescoreJob.Reason.NIGHTLY)
