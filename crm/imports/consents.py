"""The basis on which an imported file's people may be emailed, recorded for
each of them with its evidence (特定電子メール法 art. 3: a business card
handed over is an address notified in writing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q

from crm.imports.rows import Candidate
from crm.imports.sql import insert_rows
from crm.models import Consent


def record_consents(
    chunk: Sequence[Candidate],
    lead_ids: dict[str, int],
    *,
    basis: str,
    job_id: int | None,
    actor: User | None,
    source: str,
    now: datetime,
) -> int:
    """One consent of `basis` per person of the chunk, evidenced by the row's
    date (the card exchange), who imported it and the file. Nothing for a
    person who withdrew a consent (an opt-out stands until they opt in
    again) or already holds a live one of this basis, so importing the file
    again adds nothing. How many were recorded."""
    if not basis:
        return 0
    wanted = {lead_ids[c.email]: c for c in chunk if c.email in lead_ids}
    settled = set(
        Consent.objects.filter(lead_id__in=list(wanted))
        .filter(Q(withdrawn_at__isnull=False) | Q(basis=basis))
        .values_list("lead_id", flat=True)
    )
    by = actor.pk if actor else None
    rows = [
        (lead_id, basis, "", now, None, "", source[:100], candidate.occurred_on, by, job_id)
        for lead_id, candidate in wanted.items()
        if lead_id not in settled
    ]
    if rows:
        insert_rows(Consent, COLUMNS, rows)
    return len(rows)


COLUMNS = (
    "lead", "basis", "policy_version", "given_at", "ip_address", "user_agent", "source",
    "obtained_on", "recorded_by", "import_job",
)  # fmt: skip
