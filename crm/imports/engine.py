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
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from crm import normalize, outbox, people, privacy
from crm.imports import answers
from crm.imports.consents import record_consents
from crm.imports.reading import Table
from crm.imports.rows import Candidate, Rejection, check_row, name_missing
from crm.imports.sql import insert_rows
from crm.models import Activity, Campaign, Company, Lead, LeadAlias, LeadScore
from crm.models.people import DERIVED_LEAD_COLUMNS
from crm.topics import Topic
from web.durability import commit_without_waiting_for_the_disk

CHUNK = 5000
# Lead fields an import may set; a non-empty value in the file wins.
LEAD_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana",
    "department", "title", "phone", "phone_direct", "phone_department", "mobile", "fax",
)  # fmt: skip


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
        existing = _existing_leads(chunk)
        known.update(existing)
        for candidate in chunk:
            lead = existing.get(candidate.email)
            if lead is None and not candidate.family_name:
                rejections.append(name_missing(candidate, raw[candidate.line]))
                continue
            candidates.append(candidate)
            if lead is None:
                counts.new += 1
            elif _changes(lead, candidate) or _company_changes(lead, candidate):
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
    _add_companies(chunk, companies)
    new_leads, changed = [], []
    for candidate in chunk:
        company = companies.get(normalize.company_key(candidate.company))
        lead = existing.get(candidate.email)
        if lead is None:
            new_leads.append(_new_lead_row(candidate, company=company, campaign=campaign, now=now))
            continue
        fields = _changes(lead, candidate)
        company_id = lead["company_id"]
        if company and company_id != company and _company_changes(lead, candidate):
            company_id = company
            fields.append("company")
        if fields:
            values = {name: getattr(candidate, name) or lead[name] for name in LEAD_FIELDS}
            updated = Lead(
                pk=lead["id"], email=lead["email"], company_id=company_id, updated_at=now, **values
            )
            for name, value in updated.derived_columns().items():
                setattr(updated, name, value)
            changed.append(updated)
            counts.updated += 1
        else:
            counts.unchanged += 1
    created: dict[str, int] = {}
    if new_leads:
        # ignore_conflicts: a lead created meanwhile by a capture stays as it is
        # (and is not counted as new); RETURNING names the leads this chunk made.
        created = dict(
            insert_rows(
                Lead, NEW_LEAD_COLUMNS, new_leads, ignore_conflicts=True, returning=("email", "id")
            )
        )
        insert_rows(LeadScore, ("lead",), [(lead_id,) for lead_id in created.values()])
        counts.new += len(created)
        counts.unchanged += len(new_leads) - len(created)
    if changed:
        Lead.objects.bulk_update(
            changed,
            [*LEAD_FIELDS, "company", *DERIVED_COLUMNS, "updated_at"],
        )
    # The other leads are read again here, in the chunk's transaction: one may
    # have been merged away or created by a capture since the dry run.
    lead_ids = created | _lead_ids([c.email for c in chunk if c.email not in created])
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
DERIVED_COLUMNS = DERIVED_LEAD_COLUMNS
NEW_LEAD_COLUMNS = (
    "email", *LEAD_FIELDS, *DERIVED_COLUMNS, "company", "source_campaign", "stage",
    "created_at", "updated_at",
)  # fmt: skip


def _new_lead_row(
    candidate: Candidate, *, company: int | None, campaign: Campaign | None, now: datetime
) -> tuple[object, ...]:
    """A new lead as a row of NEW_LEAD_COLUMNS, built as every new lead is
    (crm.people.lead_row)."""
    row = people.lead_row(
        {"email": candidate.email, **{name: getattr(candidate, name) for name in LEAD_FIELDS}}
    )
    row.update(
        company=company,
        source_campaign=campaign.pk if campaign else None,
        stage=Lead.Stage.LEAD,
        created_at=now,
        updated_at=now,
    )
    return tuple(row[name] for name in NEW_LEAD_COLUMNS)


def _changes(lead: dict[str, Any], candidate: Candidate) -> list[str]:
    if lead.get("merged"):  # the merge chose what the person kept holds
        return []
    return [
        name
        for name in LEAD_FIELDS
        if getattr(candidate, name) and getattr(candidate, name) != lead[name]
    ]


def _company_changes(lead: dict[str, Any], candidate: Candidate) -> bool:
    if not candidate.company or lead.get("merged"):
        return False
    return lead["company__key"] != normalize.company_key(candidate.company)


EXISTING_FIELDS = ("id", "email", *LEAD_FIELDS, "company_id", "company__key")


def _existing_leads(chunk: Sequence[Candidate]) -> dict[str, dict[str, Any]]:
    """Known leads by case-folded email, as plain rows (cheaper than model
    instances at import sizes), through the case-insensitive unique index.

    The email of a person merged into another finds the person kept (marked
    "merged": their row then changes nothing, the merge decided what the
    person kept holds), so re-importing a file after a merge brings nobody
    back."""
    emails = [c.email for c in chunk]
    rows = Lead.objects.with_emails(emails).values(*EXISTING_FIELDS, "email_ci")
    found = {row["email_ci"]: row for row in rows}
    if merged := _merged_into([e for e in emails if e not in found]):
        rows = Lead.objects.filter(pk__in=set(merged.values())).values(*EXISTING_FIELDS)
        by_id = {row["id"]: row for row in rows}
        for email, lead_id in merged.items():
            if lead_id in by_id:
                found[email] = {**by_id[lead_id], "merged": True}
    return found


def _merged_into(emails: list[str]) -> dict[str, int]:
    """Lead ids by email, for the emails of people merged into another lead."""
    # Most databases have no merged person: one cheap query instead of a
    # look-up of thousands of emails per chunk.
    if not emails or not LeadAlias.objects.filter(kind=LeadAlias.Kind.EMAIL).exists():
        return {}
    aliases = LeadAlias.objects.emails(emails).values_list("value", "lead_id")
    found: dict[str, int] = {}
    for email, lead_id in aliases:  # newest first: the latest merge wins
        found.setdefault(email, lead_id)
    return found


@functools.lru_cache(maxsize=4096)
def _noon(day: date, tz: tzinfo) -> datetime:
    """A dated row's timeline entry sits at noon of that day, local time."""
    return datetime.combine(day, time(12), tzinfo=tz)


def _lead_ids(emails: list[str]) -> dict[str, int]:
    """Lead ids by case-folded email."""
    if not emails:
        return {}
    rows = Lead.objects.with_emails(emails).values_list("email_ci", "pk")  # type: ignore[misc]
    found = dict(rows)
    return _merged_into([e for e in emails if e not in found]) | found


def _add_companies(chunk: Sequence[Candidate], known: dict[str, int]) -> None:
    """Add to `known` (company key → id) every company the chunk names that an
    earlier chunk did not; the missing ones created."""
    names = {normalize.company_key(c.company): c for c in chunk if c.company}
    names.pop("", None)
    wanted = [key for key in names if key not in known]
    if not wanted:
        return
    known.update(Company.objects.filter(key__in=wanted).values_list("key", "pk"))
    missing = [
        Company(
            name=names[key].company,
            name_kana=names[key].company_kana,
            key=key,
            reading_key=normalize.search_key(names[key].company_kana)[:200],
            postal_code=names[key].postal_code,
            address=names[key].address,
            domain=_domain(names[key].url),
        )
        for key in wanted
        if key not in known
    ]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        known.update(
            Company.objects.filter(key__in=[c.key for c in missing]).values_list("key", "pk")
        )


def _domain(url: str) -> str:
    """www.aoba.example.jp of https://www.aoba.example.jp/about, without www."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.")[:200]


def _chunks(items: list[Candidate]) -> Iterator[list[Candidate]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
