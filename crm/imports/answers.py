"""Columns mapped to the question ledger: each non-empty cell becomes an
answer (source: import), once however often the file is imported."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, time

from django.contrib.auth.models import User
from django.utils import timezone

from crm.imports.mapping import ANSWER_PREFIX as PREFIX
from crm.imports.mapping import FREE_ANSWER as FREE
from crm.imports.rows import Candidate
from crm.imports.sql import insert_rows
from crm.models import Answer


def with_headers(mapping: Sequence[str], headers: Sequence[str]) -> list[str]:
    """The mapping with each free-question column named by its header."""
    return [
        f"{FREE}:{header}" if field == FREE else field
        for field, header in zip(mapping, [*headers, *[""] * len(mapping)], strict=False)
    ]


def split(target: str) -> tuple[str, str]:
    """(question, asked) of a mapped column: ("budget", "") or ("other", header)."""
    question, _sep, asked = target.removeprefix(PREFIX).partition(":")
    return question, asked[:300]


def record_answers(
    chunk: Sequence[Candidate],
    lead_ids: dict[str, int],
    *,
    actor: User | None,
    now: datetime,
) -> int:
    """One ledger answer per mapped non-empty cell of the chunk's people.

    Idempotent by an external id derived from the person's email, the
    question and the answer (answer_external_id_unique): importing the file
    again, or after a merge, adds nothing; a changed answer in a later file
    is a newer entry. How many were added."""
    tz = timezone.get_current_timezone()
    rows = {}
    for candidate in chunk:
        email, answers, day = candidate.email, candidate.answers, candidate.occurred_on
        if email not in lead_ids or not answers:
            continue
        at = datetime.combine(day, time(12), tzinfo=tz) if day else now
        for target, text in answers.items():
            question, asked = split(target)
            key = f"{email}|{question}|{asked}|{text}"
            external_id = "import:" + hashlib.sha256(key.encode()).hexdigest()[:40]
            rows[external_id] = (
                lead_ids[email],
                question,
                asked,
                text,
                Answer.Source.IMPORT,
                actor.pk if actor else None,
                at,
                external_id,
            )
    if not rows:
        return 0
    return len(insert_rows(Answer, COLUMNS, rows.values(), ignore_conflicts=True, returning="id"))


COLUMNS = (
    "lead", "question", "asked", "answer", "source", "recorded_by", "recorded_at", "external_id",
)  # fmt: skip
