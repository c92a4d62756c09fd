"""The demo's deals (seed_demo): across every open stage, and won and lost
over the weeks since each was opened, with their reasons, so that the
dashboard's first look shows real won revenue, ROI, win rate and forecast.

Rows are written as deals.services would have left them (stage moves with
their times, the lead a customer once its deal is won), dated in the past.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm.models import Deal, DealStage, DealStageChange, Lead, LostReason, StageChange

AMOUNTS = [600_000, 1_200_000, 1_800_000, 3_000_000, 5_400_000]
NEXT_STEPS = ["見積の再提出", "決裁者との打ち合わせ", "デモ環境の用意", "契約書の確認", ""]
LOST_NOTES = [
    "他社の提案が安かった",
    "今期の予算が凍結された",
    "導入時期を来年度に見送り",
    "必要な連携機能がなかった",
    "担当者と連絡が取れなくなった",
]


def open_deal(rng: random.Random, lead: Lead, rep: Any, opened: datetime) -> None:
    """A deal for a qualified lead, opened at `opened` by `rep`, then moved
    along the pipeline: won, lost or still open, as its age allows."""
    stages = list(DealStage.objects.offered().order_by("order", "pk"))
    open_stages = [s for s in stages if s.kind == DealStage.Kind.OPEN]
    today = timezone.localdate()
    amount = Decimal(rng.choice(AMOUNTS))
    deal = Deal.objects.create(
        lead=lead,
        company=lead.company,
        name=f"{lead.company.name if lead.company else lead} 導入",
        amount=amount,
        stage=open_stages[0],
        probability=open_stages[0].probability,
        source_campaign_id=lead.source_campaign_id,
        owner=rep,
        created_at=opened,
    )
    DealStageChange.objects.create(
        deal=deal, to_stage=open_stages[0], changed_at=opened, changed_by=rep
    )
    closes = timezone.localdate(opened) + timedelta(days=rng.randint(7, 55))
    fate = rng.choices(["won", "lost", "open"], [4, 3, 4])[0]
    if fate == "open" or closes >= today:
        _keep_open(rng, deal, open_stages, rep, opened, today)
    else:
        _close(rng, deal, stages, open_stages, rep, opened, closes, won=fate == "won")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


def _move(deal: Deal, path: list[DealStage], rep: Any, start: datetime, end: datetime) -> None:
    """The stage moves from the deal's first stage through `path`, spread
    between `start` and `end`."""
    previous = deal.stage
    step = (end - start) / (len(path) + 1)
    for n, stage in enumerate(path, start=1):
        DealStageChange.objects.create(
            deal=deal, from_stage=previous, to_stage=stage, changed_at=start + step * n,
            changed_by=rep,
        )  # fmt: skip
        previous = stage


def _keep_open(
    rng: random.Random,
    deal: Deal,
    open_stages: list[DealStage],
    rep: Any,
    opened: datetime,
    today: date,
) -> None:
    """Still open, at some stage; expected to close within five months (a few
    overdue: still open past their expected day)."""
    # Round the stages, so that every column of the board has deals.
    at = Deal.objects.filter(stage__kind=DealStage.Kind.OPEN).count() % len(open_stages)
    _move(deal, open_stages[1 : at + 1], rep, opened, timezone.now())
    stage = open_stages[at]
    Deal.objects.filter(pk=deal.pk).update(
        stage=stage,
        probability=stage.probability,
        expected_close_date=today + timedelta(days=rng.randint(-12, 150)),
        next_step=rng.choice(NEXT_STEPS),
    )


def _close(
    rng: random.Random,
    deal: Deal,
    stages: list[DealStage],
    open_stages: list[DealStage],
    rep: Any,
    opened: datetime,
    closes: date,
    *,
    won: bool,
) -> None:
    """Won or lost on `closes`, after a few open stages; recorded that day."""
    kind = DealStage.Kind.WON if won else DealStage.Kind.LOST
    final = next(s for s in stages if s.kind == kind)
    reached = open_stages[1 : rng.randint(1, len(open_stages))]
    _move(deal, [*reached, final], rep, opened, _noon(closes))
    fields: dict[str, Any] = {
        "stage": final,
        "status": kind,
        "probability": 100 if won else 0,
        "close_date": closes,
        "closed_at": _noon(closes) + timedelta(hours=rng.randint(0, 5)),
        "expected_close_date": closes,
    }
    if not won:
        fields["lost_reason"] = rng.choice(list(LostReason.objects.offered()))
        fields["lost_note"] = rng.choice(LOST_NOTES)
    Deal.objects.filter(pk=deal.pk).update(**fields)
    if won:
        StageChange.objects.create(
            lead=deal.lead, from_stage="opportunity", to_stage="customer",
            changed_at=fields["closed_at"], changed_by=rep, reason="deal won",
        )  # fmt: skip
        Lead.objects.filter(pk=deal.lead_id).update(stage="customer")
