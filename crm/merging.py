"""名寄せ: merging people (and companies) that are one and the same.

A merge of several people is one decision: `merge_people` folds them all into
the person kept in one durable transaction, or changes nothing. What it will
keep is computed by the same code for the confirmation page (`preview_merge`)
and for the merge itself, so the page shows what the merge does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail
from crm import normalize, services
from crm.models import Activity, Company, Lead, LeadAlias

# Fields a merge copies from a merged person when the one kept has them blank
# (from the first of the others that has one).
MERGE_FILL_FIELDS = (
    "given_name", "family_name_kana", "given_name_kana", "phone", "company", "department",
    "title", "owner", "source_campaign",
)  # fmt: skip


class MergeConflict(Exception):
    """The people (or companies) cannot be merged as they are (the message says why)."""


@dataclass
class FieldOutcome:
    name: str
    label: str
    value: Any
    source: Lead | None = None  # the merged person it comes from; None: the one kept had it


@dataclass
class Merged:
    lead: Lead
    moving: list[tuple[str, int]]  # what moves to the person kept, how many rows


@dataclass
class MergePreview:
    survivor: Lead
    merged: list[Merged]
    fields: list[FieldOutcome]
    # Emails and phones of the merged people that will find the person kept.
    aliases: list[tuple[str, str]] = field(default_factory=list)


def filled_fields(survivor: Lead, others: Sequence[Lead]) -> dict[str, tuple[Any, Lead]]:
    """The survivor's blank fields that the others fill, with the person each
    value comes from."""
    filled: dict[str, tuple[Any, Lead]] = {}
    for name in MERGE_FILL_FIELDS:
        if getattr(survivor, name):
            continue
        for other in others:
            if value := getattr(other, name):
                filled[name] = (value, other)
                break
    return filled


def new_aliases(survivor: Lead, others: Sequence[Lead]) -> list[tuple[str, str, int]]:
    """(kind, value, merged id) for every email and phone of the others that
    the survivor does not have itself."""
    own = {
        (LeadAlias.Kind.EMAIL, normalize.email_key(survivor.email)),
        (LeadAlias.Kind.PHONE, normalize.phone_digits(survivor.phone)),
    }
    found: dict[tuple[str, str], int] = {}
    for other in others:
        for kind, value in (
            (LeadAlias.Kind.EMAIL, normalize.email_key(other.email)),
            (LeadAlias.Kind.PHONE, normalize.phone_digits(other.phone)),
        ):
            if value and (kind, value) not in own:
                found.setdefault((kind, value), other.pk)
    return [(kind, value, merged) for (kind, value), merged in found.items()]


def preview_merge(survivor: Lead, *, others: Sequence[Lead]) -> MergePreview:
    """What merge_people(survivor, others=others) would leave, without writing."""
    filled = filled_fields(survivor, others)
    fields = []
    for name in ("family_name", *MERGE_FILL_FIELDS[:3], "email", *MERGE_FILL_FIELDS[3:]):
        label = str(getattr(Lead._meta.get_field(name), "verbose_name", name))
        value, source = filled.get(name, (getattr(survivor, name), None))
        fields.append(FieldOutcome(name, label, value, source))
    merged = [Merged(other, _moving(other)) for other in others]
    aliases = [(kind, value) for kind, value, _merged in new_aliases(survivor, others)]
    return MergePreview(survivor, merged, fields, aliases)


@transaction.atomic(durable=True)
def merge_people(survivor: Lead, *, others: Sequence[Lead], by: User | None = None) -> Lead:
    """Fold `others` into `survivor` and delete them, all or nothing, keeping
    every activity, answer, consent, stage change, handoff and whatever else
    points at a person.

    1. Lock every row (in id order, so two merges cannot deadlock); a person
       merged or deleted meanwhile refuses the whole merge.
    2. Fill the survivor's blank fields from the others.
    3. Re-point every relation of each other to the survivor, whichever app
       it belongs to; a relation that cannot hold both (two open handoffs)
       refuses the whole merge, naming the person.
    4. Keep the others' emails and phones as aliases of the survivor (a
       re-import or a form submit by them finds the survivor), note each
       merge on the timeline, rescore the survivor from all its activities,
       write one audit entry listing the merged ids, delete the others.
    Durable: the caller cannot wrap it in a transaction that commits part of
    a merge. Raises MergeConflict; nothing has changed then.
    """
    ids = [other.pk for other in others]
    survivor, others = _lock_people(survivor.pk, ids)
    filled = filled_fields(survivor, others)
    for name, (value, _source) in filled.items():
        setattr(survivor, name, value)
    for other in others:
        _repoint_person(other, survivor)
    survivor.save(update_fields=[*filled, "updated_at"])
    LeadAlias.objects.bulk_create(
        LeadAlias(lead=survivor, kind=kind, value=value, merged_lead_id=merged)
        for kind, value, merged in new_aliases(survivor, others)
    )
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(
            lead=survivor,
            kind=Activity.Kind.NOTE,
            actor=by,
            channel=Activity.Channel.APP,
            occurred_at=now,
            details={"merged": {"id": o.pk, "email": o.email, "name": o.display_name}},
            scored_at=now,
        )
        for o in others
    )
    Lead.objects.filter(pk__in=ids).delete()
    # Their field history goes with them (the note above says who they
    # were): rows under ids no lead has would escape the survivor's erasure.
    Lead.history.filter(id__in=ids).delete()
    survivor = Lead.objects.select_related("company", "score").get(pk=survivor.pk)
    services.rescore(survivor)
    trail.record(
        trail.Action.LEADS_MERGED,
        survivor,
        actor=by,
        # Ids only: the trail outlives an erasure, and the merged leads are gone.
        changes={"merged": ids, "filled": sorted(filled)},
    )
    return survivor


def _lock_people(survivor_id: int, ids: list[int]) -> tuple[Lead, list[Lead]]:
    """Step 1 of merge_people: the survivor and the others, locked and fresh;
    MergeConflict when the choice makes no merge or one of them is gone."""
    if not ids:
        raise MergeConflict(_("Choose at least one other lead to merge."))
    if survivor_id in ids or len(set(ids)) != len(ids):
        raise MergeConflict(_("A lead cannot be merged with itself."))
    # In id order, so that two merges sharing people wait instead of deadlocking.
    rows = Lead.objects.select_for_update().filter(pk__in=[survivor_id, *ids]).order_by("pk")
    locked = {lead.pk: lead for lead in rows}
    if missing := [pk for pk in [survivor_id, *ids] if pk not in locked]:
        raise MergeConflict(
            _("Lead #%(id)s was merged or deleted meanwhile; nothing was merged.")
            % {"id": missing[0]}
        )
    return locked[survivor_id], [locked[pk] for pk in ids]


def _repoint_person(other: Lead, survivor: Lead) -> None:
    """Step 3 of merge_people for one person; MergeConflict, naming them, when
    a relation cannot hold both."""
    try:
        with transaction.atomic():
            _repoint(Lead, other, survivor)
    except IntegrityError as exc:
        raise MergeConflict(
            _(
                "%(name)s has records that cannot be combined with the lead kept "
                "(for example two open handoffs); nothing was merged."
            )
            % {"name": other.display_name}
        ) from exc


COMPANY_FILL_FIELDS = ("name_kana", "domain", "industry", "size_band", "prefecture", "address")


@transaction.atomic(durable=True)
def merge_companies(survivor: Company, *, others: Sequence[Company]) -> Company:
    """Fold `others` into `survivor` and delete them, all or nothing: their
    people, deals and whatever else points at a company move to `survivor`;
    blank fields are filled in from the first that has them."""
    ids = [other.pk for other in others]
    if not ids or survivor.pk in ids:
        raise MergeConflict(_("A company cannot be merged with itself."))
    rows = Company.objects.select_for_update().filter(pk__in=[survivor.pk, *ids]).order_by("pk")
    locked = {company.pk: company for company in rows}
    if any(pk not in locked for pk in [survivor.pk, *ids]):
        raise MergeConflict(_("A company was merged or deleted meanwhile; nothing was merged."))
    survivor, others = locked[survivor.pk], [locked[pk] for pk in ids]
    changed = []
    for name in COMPANY_FILL_FIELDS:
        value = next((getattr(o, name) for o in others if getattr(o, name)), None)
        if value and not getattr(survivor, name):
            setattr(survivor, name, value)
            changed.append(name)
    for other in others:
        _repoint(Company, other, survivor)
    if changed:
        survivor.save(update_fields=changed)
    Company.objects.filter(pk__in=ids).delete()
    return survivor


def _moving(lead: Lead) -> list[tuple[str, int]]:
    """How many rows of each kind point at the lead (one COUNT per relation).
    A model without a name of its own for people is counted as "other records"."""
    counts: dict[str, int] = {}
    for relation in _relations(Lead):
        if count := _related(relation, lead).count():
            meta = relation.related_model._meta
            named = "verbose_name_plural" in meta.original_attrs
            label = str(meta.verbose_name_plural) if named else _("other records")
            counts[label] = counts.get(label, 0) + count
    return list(counts.items())


def _relations(model: type[models.Model]) -> list[Any]:
    """Every one-to-many relation pointing at `model`, whichever app it is in."""
    return [
        relation
        for relation in model._meta.related_objects
        if relation.one_to_many and isinstance(relation.related_model, type)
    ]


def _related(relation: Any, row: models.Model) -> models.QuerySet[Any]:
    return relation.related_model._default_manager.filter(**{relation.field.name: row})


def _repoint(model: type[Lead] | type[Company], old: models.Model, new: models.Model) -> None:
    """Point every one-to-many relation of `old` at `new`."""
    for relation in _relations(model):
        _related(relation, old).update(**{relation.field.name: new})
