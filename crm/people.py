"""People and companies entered and changed by hand or by a client: the one
way a lead is built and created (the pages, the API, capture and the import
all use it) and the edits of a person's or a company's details."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from audit import trail
from crm.imports.sql import insert_rows
from crm.models import Company, Lead, StageChange
from crm.models.derived import derived_lead_columns
from crm.services import company_named, normalise_email, request_rescore, rescore, rescore_lead

# Lead fields the fit rules read (crm.scoring.LeadFacts): changing one rescores the lead.
FIT_FIELDS = frozenset({"title", "department", "email", "company"})
# Company fields they read, for each of its people.
COMPANY_FIT_FIELDS = frozenset({"size_band", "industry", "prefecture", "domain"})
RESCORE_NOW_AT_MOST = 50
STAGE_COLUMNS = ("lead", "from_stage", "to_stage", "changed_at", "changed_by", "reason")


class EditConflict(Exception):
    """The record was saved by someone else after the form was loaded."""


def lead_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new lead's columns from what was entered (names, readings, email,
    phones, department, title, address…): the email folded as the unique
    index compares it, the derived search and 名寄せ columns computed. Every
    way a lead is created builds it here, the import's bulk insert included."""
    row = dict(values)
    row["email"] = normalise_email(row.get("email") or "")
    row.update(derived_lead_columns(row))
    return row


def record_first_stages(
    lead_ids: Iterable[int],
    *,
    stage: str = Lead.Stage.LEAD,
    by: User | None,
    reason: str,
    at: datetime | None = None,
) -> None:
    """The first StageChange of new leads (the KPIs count leads from it), one
    statement for any number of them. `reason` says how they came: capture,
    api, a page, an import's source."""
    at = at or timezone.now()
    rows = [(lead_id, "", stage, at, by.pk if by else None, reason[:200]) for lead_id in lead_ids]
    if len(rows) == 1:
        # One lead (a capture, a page, the API): a plain INSERT, cheaper than
        # the COPY that serves an import's thousands.
        ((lead_id, _from, _to, _at, by_id, why),) = rows
        StageChange.objects.create(
            lead_id=lead_id, to_stage=stage, changed_at=at, changed_by_id=by_id, reason=why
        )
    elif rows:
        insert_rows(StageChange, STAGE_COLUMNS, rows)


@transaction.atomic
def create_lead(
    values: Mapping[str, Any],
    *,
    by: User,
    reason: str,
    company_name: str = "",
    overriding: Sequence[int] = (),
) -> Lead:
    """A lead entered by a person (a page) or a client (the API): its company
    found or created by name, its first stage recorded, its fit scored at once.

    `overriding` names the probable duplicates (crm.dedupe.lead_candidates)
    the person was shown and chose to save beside: the audit trail keeps
    that. Raises IntegrityError when the email exists (whatever its case); no
    savepoint of its own, so that fails the caller's transaction too.
    """
    row = lead_row(values)
    if company_name:
        row["company"] = company_named(company_name)
    lead = Lead(**row)
    lead._history_user = by  # type: ignore[attr-defined]  # django-simple-history
    lead.save()
    record_first_stages([lead.pk], stage=lead.stage, by=by, reason=reason)
    if overriding:
        _record_override(lead, by=by, duplicates=overriding)
    rescore(lead)  # the lead in hand, its company and zero scores with it
    return lead


@transaction.atomic
def update_lead(
    lead: Lead,
    *,
    changes: Mapping[str, Any],
    by: User | None = None,
    seen_updated_at: datetime | None = None,
    overriding: Sequence[int] = (),
) -> Lead:
    """Change the lead's details (its stage moves through handoffs); a
    change the fit rules read rescores it.

    `seen_updated_at` is the lead's `updated_at` when the form was loaded:
    if it was saved since, nothing is written and EditConflict is raised
    (checked under the row's lock, so two simultaneous saves cannot both
    pass). An owner changed here is recorded in the audit trail."""
    changes = dict(changes)
    if name := changes.pop("company_name", ""):
        changes["company"] = company_named(name)
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
    if seen_updated_at is not None:
        _check_unchanged(Lead, lead.pk, seen_updated_at)
    changed = [name for name, value in changes.items() if _differs(lead, name, value)]
    old_owner = lead.owner_id
    for name, value in changes.items():
        setattr(lead, name, value)
    lead._history_user = by  # type: ignore[attr-defined]
    lead.save(update_fields=[*changes, "updated_at"])
    if "owner" in changed:
        changes_ = {"owner": [old_owner, lead.owner_id]}
        trail.record(trail.Action.OWNER_CHANGED, lead, actor=by, changes=changes_)
    if overriding:
        _record_override(lead, by=by, duplicates=overriding)
    if FIT_FIELDS & set(changed):
        rescore_lead(lead.pk)
        lead.refresh_from_db()
    return lead


@transaction.atomic
def create_company(
    values: Mapping[str, Any], *, by: User, overriding: Sequence[int] = ()
) -> Company:
    """A company entered by a person. Raises IntegrityError when its 名寄せ
    key is taken (crm.dedupe.company_candidates shows that first)."""
    company = Company(**values)
    company._history_user = by  # type: ignore[attr-defined]
    company.save()
    if overriding:
        _record_override(company, by=by, duplicates=overriding)
    return company


@transaction.atomic
def update_company(
    company: Company,
    *,
    changes: Mapping[str, Any],
    by: User,
    seen_updated_at: datetime | None = None,
    overriding: Sequence[int] = (),
) -> Company:
    """Change a company's details, as update_lead does a person's; the fit
    of its people is rescored when a field the fit rules read changed."""
    if seen_updated_at is not None:
        _check_unchanged(Company, company.pk, seen_updated_at)
    changed = [name for name, value in changes.items() if _differs(company, name, value)]
    for name, value in changes.items():
        setattr(company, name, value)
    company._history_user = by  # type: ignore[attr-defined]
    company.save(update_fields=[*changes, "updated_at"])
    if overriding:
        _record_override(company, by=by, duplicates=overriding)
    if COMPANY_FIT_FIELDS & set(changed):
        _rescore_people_of(company, by=by)
    return company


def _rescore_people_of(company: Company, *, by: User) -> None:
    """The fit of the company's people, now if they are few; a large company
    queues a rescore of everyone instead (set-based, in the worker: one lead
    at a time would hold this request for seconds)."""
    people = list(company.people.values_list("pk", flat=True)[: RESCORE_NOW_AT_MOST + 1])
    if len(people) > RESCORE_NOW_AT_MOST:
        request_rescore(reason="company changed", by=by)
        return
    for lead_id in people:
        rescore_lead(lead_id)


def _check_unchanged(model: type[Lead] | type[Company], pk: int, seen: datetime) -> None:
    current = (
        model.objects.select_for_update().filter(pk=pk).values_list("updated_at", flat=True).first()
    )
    if current != seen:
        raise EditConflict(pk)


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    field = obj._meta.get_field(name)
    if field.is_relation:
        return getattr(obj, field.attname) != getattr(value, "pk", value)  # type: ignore[union-attr]
    return bool(getattr(obj, name) != value)


def _record_override(obj: Lead | Company, *, by: User | None, duplicates: Sequence[int]) -> None:
    """The audit entry of a record saved beside probable duplicates (by id only)."""
    trail.record(
        trail.Action.DUPLICATE_SAVED,
        obj,
        actor=by,
        changes={"duplicates": sorted(duplicates)},
    )
