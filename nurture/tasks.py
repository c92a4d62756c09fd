from smtplib import SMTPException

from celery import shared_task

from nurture import sending, visits


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def run_send(send_id: int) -> None:
    """Send a segment email for a while, then queue the rest as a new job.

    Safe to run twice (a redelivery, a retry, the sweep): the send is claimed
    by a conditional update, and every recipient's row is claimed before its
    message leaves, so nobody receives the same send twice.
    """
    if not sending.run(send_id):
        run_send.delay(send_id)


@shared_task
def resume_stalled_sends() -> int:
    """Start sends whose job was lost or whose worker died. Safe to run twice:
    run_send claims the send, so a duplicate does nothing."""
    stalled = sending.stalled_sends()
    for send_id in stalled:
        run_send.delay(send_id)
    return len(stalled)


@shared_task
def join_visits() -> int:
    """Turn collected page views of known visitors into activities. Safe to run
    twice: each view row is locked, turned into one activity (unique external
    id) and deleted in one transaction."""
    return visits.join_visits()


@shared_task
def purge_anonymous_visits() -> int:
    """Delete anonymous page views past their retention. Safe to run twice."""
    return visits.purge_anonymous()
