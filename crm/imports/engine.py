"""Planning (dry run) and applying an import, set-based, a chunk per transaction."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from crm import normalize, outbox
from crm.imports.reading import Table
from crm.imports.rows import Candidate, Rejection, check_row, name_missing
from crm.imports.sql import insert_rows
from crm.models import Activity, Campaign, Company, Lead, LeadScore, StageChange

CHUNK = 5000
ACTIVITIES_RECORDED = "activities.recorded"
# Lead fields an import may set; a non-empty value in the file wins.
LEAD_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana",
    "department", "title", "phone",
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


def plan(table: Table, mapping: Sequence[str]) -> Plan:
    """Check every row and compare with the database; writes nothing (the dry run)."""
    by_email: dict[str, Candidate] = {}
    rejections: list[Rejection] = []
    raw: dict[int, list[str]] = {}
    counts = Counts()
    for number, values in enumerate(table.rows, start=2):
        checked = check_row(values, list(mapping), line=number)
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


def apply(
    planned: Plan,
    *,
    campaign: Campaign | None,
    kind: str,
    actor: User | None,
    source: str,
    progress: Callable[[int], None] = lambda done: None,
) -> Counts:
    """Write the planned people, a chunk per transaction; safe to run again
    (re-importing the same rows changes nothing). Returns what it did."""
    counts = Counts(merged=planned.counts.merged, rejected=planned.counts.rejected)
    done = 0
    for chunk in _chunks(planned.candidates):
        _apply_chunk(
            chunk,
            counts,
            planned.existing,
            campaign=campaign,
            kind=kind,
            actor=actor,
            source=source,
        )
        done += len(chunk)
        progress(done)
    return counts


@transaction.atomic
def _apply_chunk(
    chunk: list[Candidate],
    counts: Counts,
    existing: dict[str, dict[str, Any]],
    *,
    campaign: Campaign | None,
    kind: str,
    actor: User | None,
    source: str,
) -> None:
    """1. Companies by 名寄せ key. 2. New leads inserted, known ones updated where
    the file says something new. 3. One timeline entry per row, idempotent by
    an external id derived from the row. 4. One outbox event for scoring."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # Each chunk's commit need not wait for its WAL flush: the job is marked
        # done by a synchronous commit after the last chunk, which flushes all
        # of them, and a job cut short is run again (re-applying is a no-op).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
    companies = _companies_for(chunk)
    new_leads, changed = [], []
    for candidate in chunk:
        company = (
            companies.get(normalize.company_key(candidate.company)) if candidate.company else None
        )
        lead = existing.get(candidate.email)
        if lead is None:
            new_leads.append(_new_lead_row(candidate, company=company, campaign=campaign, now=now))
            continue
        fields = _changes(lead, candidate)
        company_id = lead["company_id"]
        if company and company_id != company.pk:
            company_id = company.pk
            fields.append("company")
        if fields:
            values = {name: getattr(candidate, name) or lead[name] for name in LEAD_FIELDS}
            updated = Lead(
                pk=lead["id"], email=lead["email"], company_id=company_id, updated_at=now, **values
            )
            updated.phone_digits = normalize.phone_digits(updated.phone)
            updated.search_text = updated.compute_search_text()
            changed.append(updated)
            counts.updated += 1
        else:
            counts.unchanged += 1
    if new_leads:
        # ignore_conflicts: a lead created meanwhile by a capture stays as it is.
        ids = insert_rows(Lead, NEW_LEAD_COLUMNS, new_leads, ignore_conflicts=True, returning="id")
        insert_rows(LeadScore, ("lead",), [(lead_id,) for lead_id in ids])
        counts.new += len(new_leads)
    if changed:
        Lead.objects.bulk_update(
            changed, [*LEAD_FIELDS, "company", "phone_digits", "search_text", "updated_at"]
        )
    lead_ids = _lead_ids(chunk)
    created = {row[0] for row in new_leads}
    insert_rows(
        StageChange,
        ("lead", "from_stage", "to_stage", "changed_at", "changed_by", "reason"),
        (
            (lead_ids[email], "", Lead.Stage.LEAD, now, actor.pk if actor else None, source[:200])
            for email in created
            if email in lead_ids
        ),
    )
    _record_activities(
        chunk, lead_ids, campaign=campaign, kind=kind, actor=actor, source=source, now=now
    )


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
        )
    known = set(
        Activity.objects.filter(external_id__in=list(rows)).values_list("external_id", flat=True)
    )
    fresh = [row for ext, row in rows.items() if ext not in known]
    ids = insert_rows(
        Activity,
        ("lead", "kind", "occurred_at", "campaign", "actor", "details", "external_id", "points"),
        fresh,
        ignore_conflicts=True,
        returning="id",
    )
    if ids:
        outbox.emit(ACTIVITIES_RECORDED, {"activity_ids": ids})


NEW_LEAD_COLUMNS = (
    "email", *LEAD_FIELDS, "phone_digits", "search_text", "company", "source_campaign", "stage",
    "created_at", "updated_at",
)  # fmt: skip


def _new_lead_row(
    candidate: Candidate, *, company: Company | None, campaign: Campaign | None, now: datetime
) -> tuple[object, ...]:
    """A new lead as a row of NEW_LEAD_COLUMNS."""
    return (
        candidate.email,
        *(getattr(candidate, name) for name in LEAD_FIELDS),
        normalize.phone_digits(candidate.phone),
        normalize.search_key(
            candidate.family_name,
            candidate.given_name,
            candidate.family_name_kana,
            candidate.given_name_kana,
            candidate.email,
        )[:600],
        company.pk if company else None,
        campaign.pk if campaign else None,
        Lead.Stage.LEAD,
        now,
        now,
    )


def _changes(lead: dict[str, Any], candidate: Candidate) -> list[str]:
    return [
        name
        for name in LEAD_FIELDS
        if getattr(candidate, name) and getattr(candidate, name) != lead[name]
    ]


def _company_changes(lead: dict[str, Any], candidate: Candidate) -> bool:
    if not candidate.company:
        return False
    return lead["company__key"] != normalize.company_key(candidate.company)


EXISTING_FIELDS = ("id", "email", *LEAD_FIELDS, "company_id", "company__key")


def _existing_leads(chunk: Sequence[Candidate]) -> dict[str, dict[str, Any]]:
    """Known leads by email, as plain rows (cheaper than model instances at
    import sizes), through the case-insensitive unique index."""
    emails = [c.email for c in chunk]
    rows = (
        Lead.objects.alias(email_ci=Lower("email"))
        .filter(email_ci__in=emails)
        .values(*EXISTING_FIELDS)
    )
    return {row["email"]: row for row in rows}


@functools.lru_cache(maxsize=4096)
def _noon(day: date, tz: tzinfo) -> datetime:
    """A dated row's timeline entry sits at noon of that day, local time."""
    return datetime.combine(day, time(12), tzinfo=tz)


def _lead_ids(chunk: Sequence[Candidate]) -> dict[str, int]:
    emails = [c.email for c in chunk]
    rows = (
        Lead.objects.alias(email_ci=Lower("email"))
        .filter(email_ci__in=emails)
        .values_list("email", "pk")
    )
    return dict(rows)


def _companies_for(chunk: Sequence[Candidate]) -> dict[str, Company]:
    """Every company the chunk names, by key; the missing ones created."""
    names = {normalize.company_key(c.company): c for c in chunk if c.company}
    names.pop("", None)
    found = Company.objects.in_bulk(list(names), field_name="key")
    missing = [
        Company(name=c.company, name_kana=c.company_kana, key=key)
        for key, c in names.items()
        if key not in found
    ]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        found = Company.objects.in_bulk(list(names), field_name="key")
    return found


def _chunks(items: list[Candidate]) -> Iterator[list[Candidate]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
