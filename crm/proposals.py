"""What a capture says about a known lead: it fills the empty fields and
proposes the rest, for a person with the right to change the lead to apply
or dismiss. A public form never overwrites what a person or sales recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import trail
from crm import normalize
from crm.models import Activity, Campaign, Lead, ProposedChange
from crm.services import company_named

Field = ProposedChange.Field


@dataclass(frozen=True)
class Compared:
    """How a field is read from a lead, and the key under which two values are the same."""

    read: Callable[[Lead], str]
    key: Callable[[str], str]


COMPARED: dict[str, Compared] = {
    Field.FAMILY_NAME: Compared(lambda lead: lead.family_name, normalize.name_key),
    Field.GIVEN_NAME: Compared(lambda lead: lead.given_name, normalize.name_key),
    Field.TITLE: Compared(lambda lead: lead.title, normalize.name_key),
    Field.PHONE: Compared(lambda lead: lead.phone, normalize.phone_digits),
    Field.COMPANY: Compared(
        lambda lead: lead.company.name if lead.company else "",
        lambda name: normalize.company_key(name) or normalize.nfkc(name),
    ),
}


def fill_or_propose(
    lead: Lead, values: dict[str, str], *, activity: Activity, campaign: Campaign
) -> list[str]:
    """Fill the lead's empty fields from `values` and propose the differing
    ones (one open proposal per field: a later submit replaces it). Call it
    inside the capture's transaction, captures of the lead taking turns.
    Returns the fields filled."""
    if any(values.get(f, "").strip() and not c.read(lead) for f, c in COMPARED.items()):
        # Filling writes the row (waiting, as any write would, for a scorer
        # holding it): read it again under the lock, so that a value a person
        # wrote meanwhile is proposed, never overwritten.
        lead = (
            Lead.objects.select_for_update(no_key=True, of=("self",))
            .select_related("company")
            .get(pk=lead.pk)
        )
    filled: list[str] = []
    for field, compared in COMPARED.items():
        value = values.get(field, "").strip()
        if not value:
            continue
        current = compared.read(lead)
        if not current:
            _write(lead, field, value)
            filled.append(field)
        elif compared.key(value) != compared.key(current):
            _propose(lead, field, value, activity=activity, campaign=campaign)
    if filled:
        lead.save(update_fields=[*filled, "updated_at"])
    return filled


def _write(lead: Lead, field: str, value: str) -> None:
    if field == Field.COMPANY:
        lead.company = company_named(value)
    else:
        setattr(lead, field, value)


def _propose(lead: Lead, field: str, value: str, *, activity: Activity, campaign: Campaign) -> None:
    if field == Field.COMPANY:
        value = normalize.nfkc(value)  # as the company would be named
    values = {"value": value, "activity": activity, "campaign": campaign}
    replaced = (
        ProposedChange.objects.open()
        .filter(lead=lead, field=field)
        .update(**values, proposed_at=timezone.now())
    )
    if replaced:
        return
    try:
        with transaction.atomic():
            ProposedChange.objects.create(lead=lead, field=field, **values)
    except IntegrityError:  # another capture proposed it meanwhile: this one is later
        ProposedChange.objects.open().filter(lead=lead, field=field).update(
            **values, proposed_at=timezone.now()
        )


@transaction.atomic
def apply_change(change: ProposedChange, *, by: User) -> bool:
    """Write the proposed value to the lead; False when someone decided on
    the proposal meanwhile (a conditional update: two clicks apply it once)."""
    decided = (
        ProposedChange.objects.open()
        .filter(pk=change.pk)
        .update(status=ProposedChange.Status.APPLIED, decided_by=by, decided_at=timezone.now())
    )
    if not decided:
        return False
    lead = Lead.objects.select_for_update().get(pk=change.lead_id)
    _write(lead, change.field, change.value)
    lead.save(update_fields=[change.field, "updated_at"])
    # By field name only: the trail never holds a person's details.
    trail.record(
        trail.Action.LEAD_CHANGED,
        lead,
        actor=by,
        summary="proposed change applied",
        changes={"fields": [change.field], "proposed_change": change.pk},
    )
    return True


def dismiss_change(change: ProposedChange, *, by: User) -> bool:
    """Leave the lead as it is; False when someone decided on it meanwhile."""
    return bool(
        ProposedChange.objects.open()
        .filter(pk=change.pk)
        .update(status=ProposedChange.Status.DISMISSED, decided_by=by, decided_at=timezone.now())
    )
