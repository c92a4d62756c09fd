"""Planning (dry run) and applying an import, set-based, a chunk per transaction."""

from __future__ import annotations

import functools
import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from crm import outbox, people, privacy
from crm.imports import answers, leads
from crm.imports.consents import record_consents
from crm.imports.reading import Table
from crm.imports.rows import Candidate, Rejection, check_row, name_missing
from crm.imports.sql import insert_rows
from crm.models import Activity, Campaign, Lead
from crm.topics import Topic
from web.durability import commit_without_waiting_for_the_disk

CHUNK = 5000


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows folded into an earlier row of the same file (same email)
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Plan:
    candidates: list[Candidate]
    rejections: list[Rejection]
    counts: Counts = field(default_factory=Counts)
    # The known leads the dry run read, by email; apply reuses them.
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block.

    An import allocates millions of small objects and keeps most of them to the
    end, so every full collection walks all of them again: 3.4 s of a
    100,000-row import, and growing faster than the file (bench/README.md).
    Reference counting still frees everything the import drops; the few
    cycles wait until the block ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@_without_cycle_collector()
def plan(table: Table, mapping: Sequence[str]) -> Plan:
    """Check every row and compare with the database; writes nothing (the dry run)."""
    by_email: dict[str, Candidate] = {}
    rejections: list[Rejection] = []
    raw: dict[int, list[str]] = {}
    counts = Counts()
    columns = answers.with_headers(mapping, table.headers)
    for number, values in enumerate(table.rows, start=2):
        checked = check_row(values, columns, line=number)
        if checked is None:
            continue
        if isinstance(checked, Rejection):
            rejections.append(checked)
        elif checked.email in by_email:
            by_email[checked.email].fill_from(checked)
            counts.merged += 1
        else:
            by_email[checked.email] = checked
            raw[checked.line] = values
    # People erased on request are refused, keeping nothing of their rows.
    rejections += privacy.refuse_erased_people(by_email)
    candidates = []
    known: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(by_email.values())):
        existing = leads.existing_leads(chunk)
        known.update(existing)
        for candidate in chunk:
            lead = existing.get(candidate.email)
            if lead is None and not candidate.family_name:
                rejections.append(name_missing(candidate, raw[candidate.line]))
                continue
            candidates.append(candidate)
            if lead is None:
                counts.new += 1
            elif leads.changes(lead, candidate) or leads.company_changes(lead, candidate):
                counts.updated += 1
            else:
                counts.unchanged += 1
    rejections.sort(key=lambda r: r.line)
    counts.rejected = len(rejections)
    return Plan(candidates, rejections, counts, known)


@_without_cycle_collector()
def apply(
    planned: Plan,
    *,
    campaign: Campaign | None,
    kind: str,
    actor: User | None,
    source: str,
    progress: Callable[[int], None] = lambda done: None,
    consent_basis: str = "",
    job_id: int | None = None,
) -> Counts:
    """Write the planned people, a chunk per transaction; safe to run again
    (re-importing the same rows changes nothing). Each person gets a consent
    of `consent_basis` ("" for none: crm/imports/consents.py). Returns what
    it did."""
    counts = Counts(merged=planned.counts.merged, rejected=planned.counts.rejected)
    companies: dict[str, int] = {}  # company key → id, filled chunk by chunk
    done = 0
    for chunk in _chunks(planned.candidates):
        _apply_chunk(
            chunk,
            counts,
            planned.existing,
            companies,
            campaign=campaign,
            kind=kind,
            actor=actor,
            source=source,
            consent=(consent_basis, job_id),
        )
        done += len(chunk)
        progress(done)
    return counts


@transaction.atomic
def _apply_chunk(
    chunk: list[Candidate],
    counts: Counts,
    existing: dict[str, dict[str, Any]],
    companies: dict[str, int],
    *,
    campaign: Campaign | None,
    kind: str,
    actor: User | None,
    source: str,
    consent: tuple[str, int | None] = ("", None),
) -> None:
    """1. Companies by 名寄せ key. 2. New leads inserted, known ones updated where
    the file says something new. 3. One timeline entry per row, idempotent by
    an external id derived from the row. 4. One outbox event for scoring."""
    now = timezone.now()
    # Each chunk's commit need not wait for its WAL flush: the job is marked
    # done by a synchronous commit after the last chunk, which flushes all of
    # them, and a job cut short is run again (re-applying is a no-op).
    commit_without_waiting_for_the_disk()
    leads.add_companies(chunk, companies)
    new_leads, changed = leads.sort_chunk(
        chunk, counts, existing, companies, campaign=campaign, now=now
    )
    created = leads.insert_new_leads(new_leads, counts)
    if changed:
        Lead.objects.bulk_update(
            changed,
            [*leads.LEAD_FIELDS, "company", *leads.DERIVED_COLUMNS, "updated_at"],
        )
    # The other leads are read again here, in the chunk's transaction: one may
    # have been merged away or created by a capture since the dry run.
    lead_ids = created | leads.lead_ids([c.email for c in chunk if c.email not in created])
    people.record_first_stages(
        created.values(), stage=Lead.Stage.LEAD, by=actor, reason=source, at=now
    )
    _record_activities(
        chunk, lead_ids, campaign=campaign, kind=kind, actor=actor, source=source, now=now
    )
    basis, job_id = consent
    record_consents(
        chunk, lead_ids, basis=basis, job_id=job_id, actor=actor, source=source, now=now
    )
    answers.record_answers(chunk, lead_ids, actor=actor, now=now)


def _record_activities(
    chunk: list[Candidate],
    lead_ids: dict[str, int],
    *,
    campaign: Campaign | None,
    kind: str,
    actor: User | None,
    source: str,
    now: datetime,
) -> None:
    rows = {}
    tz = timezone.get_current_timezone()
    for candidate in chunk:
        if candidate.email not in lead_ids:
            continue
        key = f"{candidate.email}|{kind}|{candidate.occurred_on}|{campaign.pk if campaign else ''}"
        external_id = "import:" + hashlib.sha256(key.encode()).hexdigest()[:40]
        occurred_at = _noon(candidate.occurred_on, tz) if candidate.occurred_on else now
        details = {"import": source, "line": candidate.line}
        details.update(
            {k: v for k, v in (("note", candidate.note), ("mobile", candidate.mobile)) if v}
        )
        rows[external_id] = (
            lead_ids[candidate.email],
            kind,
            occurred_at,
            campaign.pk if campaign else None,
            actor.pk if actor else None,
            details,
            external_id,
            0,
            Activity.Channel.IMPORT,
        )
    # An entry recorded by an earlier import of the row conflicts on its
    # external id and is skipped; RETURNING gives only the new ones.
    ids = insert_rows(
        Activity,
        ACTIVITY_COLUMNS,
        rows.values(),
        ignore_conflicts=True,
        returning="id",
    )
    if ids:
        # Consumed by handoff.consumers.process_activity_batch_event (scoring).
        outbox.emit(Topic.ACTIVITIES_RECORDED, {"activity_ids": ids})


ACTIVITY_COLUMNS = (
    "lead", "kind", "occurred_at", "campaign", "actor", "details", "external_id", "points",
    "channel",
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _noon(day: date, tz: tzinfo) -> datetime:
    """A dated row's timeline entry sits at noon of that day, local time."""
    return datetime.combine(day, time(12), tzinfo=tz)


def _chunks(items: list[Candidate]) -> Iterator[list[Candidate]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
