"""The leads of an import chunk: known ones read by email (merges followed),
new ones built as every new lead is, changes found, companies added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crm import normalize, people
from crm.imports.rows import Candidate
from crm.imports.sql import insert_rows
from crm.models import Campaign, Company, Lead, LeadAlias, LeadScore
from crm.models.derived import DERIVED_LEAD_COLUMNS

if TYPE_CHECKING:
    from crm.imports.engine import Counts

# Lead fields an import may set; a non-empty value in the file wins.
LEAD_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana",
    "department", "title", "phone", "phone_direct", "phone_department", "mobile", "fax",
)  # fmt: skip


def sort_chunk(
    chunk: list[Candidate],
    counts: Counts,
    existing: dict[str, dict[str, Any]],
    companies: dict[str, int],
    *,
    campaign: Campaign | None,
    now: datetime,
) -> tuple[list[tuple[object, ...]], list[Lead]]:
    """The chunk's new leads (rows of NEW_LEAD_COLUMNS) and its known leads the
    file says something new about (unsaved instances, derived columns done);
    rows that change nothing counted as unchanged."""
    new_leads: list[tuple[object, ...]] = []
    changed: list[Lead] = []
    for candidate in chunk:
        company = companies.get(normalize.company_key(candidate.company))
        lead = existing.get(candidate.email)
        if lead is None:
            new_leads.append(new_lead_row(candidate, company=company, campaign=campaign, now=now))
            continue
        fields = changes(lead, candidate)
        company_id = lead["company_id"]
        if company and company_id != company and company_changes(lead, candidate):
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
    return new_leads, changed


def insert_new_leads(new_leads: list[tuple[object, ...]], counts: Counts) -> dict[str, int]:
    """Insert the new leads with their score rows; their ids by email.

    ignore_conflicts: a lead created meanwhile by a capture stays as it is
    (and is not counted as new); RETURNING names the leads this chunk made."""
    if not new_leads:
        return {}
    created = dict(
        insert_rows(
            Lead, NEW_LEAD_COLUMNS, new_leads, ignore_conflicts=True, returning=("email", "id")
        )
    )
    insert_rows(LeadScore, ("lead",), [(lead_id,) for lead_id in created.values()])
    counts.new += len(created)
    counts.unchanged += len(new_leads) - len(created)
    return created


DERIVED_COLUMNS = DERIVED_LEAD_COLUMNS
NEW_LEAD_COLUMNS = (
    "email", *LEAD_FIELDS, *DERIVED_COLUMNS, "company", "source_campaign", "stage",
    "created_at", "updated_at",
)  # fmt: skip


def new_lead_row(
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


def changes(lead: dict[str, Any], candidate: Candidate) -> list[str]:
    if lead.get("merged"):  # the merge chose what the person kept holds
        return []
    return [
        name
        for name in LEAD_FIELDS
        if getattr(candidate, name) and getattr(candidate, name) != lead[name]
    ]


def company_changes(lead: dict[str, Any], candidate: Candidate) -> bool:
    if not candidate.company or lead.get("merged"):
        return False
    return lead["company__key"] != normalize.company_key(candidate.company)


EXISTING_FIELDS = ("id", "email", *LEAD_FIELDS, "company_id", "company__key")


def existing_leads(chunk: Sequence[Candidate]) -> dict[str, dict[str, Any]]:
    """Known leads by case-folded email, as plain rows (cheaper than model
    instances at import sizes), through the case-insensitive unique index.

    The email of a person merged into another finds the person kept (marked
    "merged": their row then changes nothing, the merge decided what the
    person kept holds), so re-importing a file after a merge brings nobody
    back."""
    emails = [c.email for c in chunk]
    rows = Lead.objects.with_emails(emails).values(*EXISTING_FIELDS, "email_ci")
    found = {row["email_ci"]: row for row in rows}
    if merged := merged_into([e for e in emails if e not in found]):
        rows = Lead.objects.filter(pk__in=set(merged.values())).values(*EXISTING_FIELDS)
        by_id = {row["id"]: row for row in rows}
        for email, lead_id in merged.items():
            if lead_id in by_id:
                found[email] = {**by_id[lead_id], "merged": True}
    return found


def merged_into(emails: list[str]) -> dict[str, int]:
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


def lead_ids(emails: list[str]) -> dict[str, int]:
    """Lead ids by case-folded email."""
    if not emails:
        return {}
    rows = Lead.objects.with_emails(emails).values_list("email_ci", "pk")  # type: ignore[misc]
    found = dict(rows)
    return merged_into([e for e in emails if e not in found]) | found


def add_companies(chunk: Sequence[Candidate], known: dict[str, int]) -> None:
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
            reading_key=normalize.company_reading_key(names[key].company_kana),
            postal_code=names[key].postal_code,
            address=names[key].address,
            domain=domain(names[key].url),
        )
        for key in wanted
        if key not in known
    ]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        known.update(
            Company.objects.filter(key__in=[c.key for c in missing]).values_list("key", "pk")
        )


def domain(url: str) -> str:
    """www.aoba.example.jp of https://www.aoba.example.jp/about, without www."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.")[:200]
