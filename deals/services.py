"""The one home of a deal's lifecycle: opening one (from a lead, a company or
a qualified handoff), editing it, moving it between stages, winning, losing
and reopening it. The pages and the API call these functions; each refuses
with DealRefused and a sentence the reader can act on, before the database
ever would. Webhook events are emitted in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm import services as crm
from crm.models import Company, Deal, DealStage, DealStageChange, Lead, LostReason
from handoff.models import Handoff
from webhooks import events as webhook_events

# DecimalField(max_digits=14): the largest amount the column holds.
MAX_AMOUNT = Decimal(10**14 - 1)
# How far from today a close date may be: a typo (2062 for 2026) is refused.
CLOSE_DATE_REACH = timedelta(days=366 * 10)
# What a rep may change by editing; stage and closing go through their own functions.
EDITABLE = (
    "name", "amount", "expected_close_date", "next_step", "probability", "owner",
    "source_campaign", "company",
)  # fmt: skip


class DealRefused(ValueError):
    """A change the rules refuse; str() is the sentence to show."""


class DealConflict(DealRefused):
    """Someone changed the deal since the caller read it."""


@dataclass(frozen=True)
class DealTerms:
    name: str
    amount: Decimal
    expected_close_date: date | None = None
    next_step: str = ""
    stage: DealStage | None = None


def check_amount(amount: Decimal) -> None:
    if amount < 0:
        raise DealRefused(_("The amount cannot be negative."))
    if amount > MAX_AMOUNT or amount != amount.to_integral_value():
        raise DealRefused(_("Enter a whole number of yen below ¥100 trillion."))


def check_date(day: date | None) -> None:
    if day is not None and abs(day - timezone.localdate()) > CLOSE_DATE_REACH:
        raise DealRefused(_("Enter a date within ten years of today."))


def check_stage(stage: DealStage, *, kind: str = DealStage.Kind.OPEN) -> None:
    if stage.is_retired:
        raise DealRefused(_("The stage “%(stage)s” is retired; choose another.") % {"stage": stage})
    if stage.kind != kind:
        raise DealRefused(
            _("Mark a deal won or lost with its own button, not by moving it to “%(stage)s”.")
            % {"stage": stage}
        )


def first_stage(kind: str) -> DealStage:
    stage = DealStage.objects.offered().filter(kind=kind).order_by("order", "pk").first()
    if stage is None:
        raise DealRefused(_("No stage of this kind is offered: ask a manager to add one."))
    return stage


@transaction.atomic
def open_deal(lead: Lead, *, by: User, terms: DealTerms, company: Company | None = None) -> Deal:
    """A deal for `lead` (of `company`, the lead's own by default: an
    expansion deal of a customer too), owned by `by`, at `terms.stage` or the
    first open stage, with that stage's probability. A sales-qualified lead
    becomes an opportunity."""
    check_amount(terms.amount)
    check_date(terms.expected_close_date)
    stage = terms.stage or first_stage(DealStage.Kind.OPEN)
    check_stage(stage)
    deal = Deal.objects.create(
        lead=lead,
        company=company or lead.company,
        name=terms.name,
        amount=terms.amount,
        stage=stage,
        probability=stage.probability,
        expected_close_date=terms.expected_close_date,
        next_step=terms.next_step,
        source_campaign_id=lead.source_campaign_id,
        owner=by,
    )
    DealStageChange.objects.create(deal=deal, to_stage=stage, changed_by=by)
    if lead.stage == Lead.Stage.SQL:
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        crm.change_stage(locked, Lead.Stage.OPPORTUNITY, by=by, reason="deal opened")
    webhook_events.deal_stage_changed(deal, from_stage=None)
    return deal


@transaction.atomic
def open_deal_from_handoff(handoff: Handoff, *, rep: User, terms: DealTerms) -> Deal | None:
    """The deal of a qualified handoff, opened by the rep who qualified it.
    None when the handoff is not the rep's qualified one."""
    locked = (
        Handoff.objects.select_for_update()
        .filter(pk=handoff.pk, status=Handoff.Status.QUALIFIED, claimed_by=rep)
        .first()
    )
    if locked is None:
        return None
    lead = Lead.objects.select_for_update().get(pk=locked.lead_id)
    return open_deal(lead, by=rep, terms=terms)


@transaction.atomic
def edit_deal(deal: Deal, *, changes: dict[str, Any], version: int, by: User) -> Deal:
    """Change the deal's terms (EDITABLE), as of the `version` the editor
    read: a change made meanwhile by someone else is never overwritten."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    if "amount" in changes:
        check_amount(changes["amount"])
    if "expected_close_date" in changes:
        check_date(changes["expected_close_date"])
    if not 0 <= changes.get("probability", 0) <= 100:
        raise DealRefused(_("The probability is a percentage from 0 to 100."))
    updated = Deal.objects.filter(pk=deal.pk, version=version).update(
        **changes, version=F("version") + 1
    )
    if not updated:
        raise DealConflict(_conflict(deal))
    return Deal.objects.select_related("stage").get(pk=deal.pk)


def _conflict(deal: Deal) -> str:
    current = Deal.objects.filter(pk=deal.pk).select_related("stage").first()
    if current is None:
        return _("This deal no longer exists.")
    return _(
        "Someone changed this deal since you opened it (it is now at “%(stage)s”). "
        "Nothing was saved: reload it and make your change again."
    ) % {"stage": current.stage}


@transaction.atomic
def move_deal(deal: Deal, *, to: DealStage, seen: int, by: User) -> Deal:
    """Move an open deal to another open stage, as the mover saw it (`seen`:
    the stage id on their screen). Its probability becomes the stage's."""
    check_stage(to)
    if to.pk == seen:
        return deal
    moved = Deal.objects.filter(pk=deal.pk, stage_id=seen, status=Deal.Status.OPEN).update(
        stage=to, probability=to.probability, version=F("version") + 1
    )
    if not moved:
        raise DealConflict(_moved_meanwhile(deal, seen))
    return _record_move(deal, from_stage_id=seen, by=by)


def _moved_meanwhile(deal: Deal, seen: int) -> str:
    current = Deal.objects.filter(pk=deal.pk).select_related("stage").first()
    if current is None:
        return _("This deal no longer exists.")
    if current.status != Deal.Status.OPEN:
        return _("This deal is already closed (%(stage)s); reopen it before moving it.") % {
            "stage": current.stage
        }
    return _(
        "Someone moved this deal to “%(stage)s” meanwhile; it stays there. "
        "Move it again if you still mean to."
    ) % {"stage": current.stage}


def _record_move(deal: Deal, *, from_stage_id: int | None, by: User) -> Deal:
    fresh = Deal.objects.select_related("stage", "lost_reason").get(pk=deal.pk)
    from_stage = DealStage.objects.filter(pk=from_stage_id or 0).first()
    DealStageChange.objects.create(
        deal=fresh, from_stage=from_stage, to_stage=fresh.stage, changed_by=by
    )
    webhook_events.deal_stage_changed(fresh, from_stage=from_stage)
    return fresh


@transaction.atomic
def win_deal(deal: Deal, *, close_date: date, amount: Decimal, by: User) -> Deal:
    """The customer said yes: the deal closes at its final amount on
    `close_date`, and its lead becomes a customer."""
    check_amount(amount)
    check_date(close_date)
    if close_date > timezone.localdate():
        raise DealRefused(_("A deal cannot be won on a day still to come."))
    stage = first_stage(DealStage.Kind.WON)
    seen = _close(deal, stage=stage, amount=amount, close_date=close_date)
    lead = Lead.objects.select_for_update().get(pk=deal.lead_id)
    crm.change_stage(lead, Lead.Stage.CUSTOMER, by=by, reason="deal won")
    fresh = _record_move(deal, from_stage_id=seen, by=by)
    webhook_events.deal_won(fresh)
    return fresh


@transaction.atomic
def lose_deal(
    deal: Deal, *, reason: LostReason, note: str, by: User, close_date: date | None = None
) -> Deal:
    """The customer said no: the reason from the managed list and a note
    (both required) say why."""
    if reason.is_retired:
        raise DealRefused(
            _("The reason “%(reason)s” is retired; choose another.") % {"reason": reason}
        )
    if not note.strip():
        raise DealRefused(_("Write a note on why the deal was lost."))
    day = close_date or timezone.localdate()
    check_date(day)
    stage = first_stage(DealStage.Kind.LOST)
    seen = _close(deal, stage=stage, close_date=day, lost_reason=reason, lost_note=note.strip())
    fresh = _record_move(deal, from_stage_id=seen, by=by)
    webhook_events.deal_lost(fresh)
    return fresh


def _close(deal: Deal, *, stage: DealStage, **fields: Any) -> int | None:
    """Close the open deal at `stage`; returns the stage it left."""
    locked = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if locked is None or locked.status != Deal.Status.OPEN:
        raise DealConflict(_closed_already(locked))
    Deal.objects.filter(pk=deal.pk).update(
        stage=stage,
        status=stage.kind,
        probability=100 if stage.kind == DealStage.Kind.WON else 0,
        closed_at=timezone.now(),
        version=F("version") + 1,
        **fields,
    )
    return locked.stage_id


def _closed_already(deal: Deal | None) -> str:
    if deal is None:
        return _("This deal no longer exists.")
    return _("This deal was already closed on %(day)s (%(stage)s).") % {
        "day": date_format(deal.close_date) if deal.close_date else "-",
        "stage": deal.stage,
    }


@transaction.atomic
def reopen_deal(deal: Deal, *, to: DealStage, by: User) -> Deal:
    """A closed deal back in the pipeline (a lost customer came back, or it
    was closed by mistake). The lead stays what it became."""
    check_stage(to)
    locked = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if locked is None or locked.status == Deal.Status.OPEN:
        raise DealConflict(_("This deal is open already."))
    Deal.objects.filter(pk=deal.pk).update(
        stage=to,
        status=Deal.Status.OPEN,
        probability=to.probability,
        closed_at=None,
        close_date=None,
        lost_reason=None,
        lost_note="",
        version=F("version") + 1,
    )
    return _record_move(deal, from_stage_id=locked.stage_id, by=by)
