"""The pipeline board: a column per open stage with its count, sum and
weighted sum, and its first cards. Three queries whatever the number of
deals: the stages, the sums grouped by stage in SQL, and the first
CARDS_PER_COLUMN cards of every column at once (a window function)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber

from crm.models import Deal, DealStage
from crm.models.deal import DealQuerySet

CARDS_PER_COLUMN = 50

WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=17, decimal_places=2)
)


@dataclass
class Column:
    stage: DealStage
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    cards: list[Deal] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many of the column's deals are not shown as cards."""
        return self.count - len(self.cards)


def columns(deals: DealQuerySet, *, per_column: int = CARDS_PER_COLUMN) -> list[Column]:
    """The board of `deals` (already scoped and filtered): every offered open
    stage, and a retired one while deals still sit in it."""
    open_deals = deals.filter(status=Deal.Status.OPEN)
    sums = {
        row["stage_id"]: row
        for row in open_deals.order_by()
        .values("stage_id")
        .annotate(count=Count("pk"), total=Sum("amount"), weighted=Sum(WEIGHTED))
    }
    stages = DealStage.objects.filter(kind=DealStage.Kind.OPEN).filter(
        Q(is_retired=False) | Q(pk__in=list(sums))
    )
    board = {stage.pk: Column(stage) for stage in stages.order_by("order", "pk")}
    for stage_id, row in sums.items():
        if column := board.get(stage_id):
            column.count = row["count"]
            column.total = row["total"] or Decimal(0)
            column.weighted = (row["weighted"] or Decimal(0)).quantize(Decimal(1))
    ranked = (
        open_deals.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("expected_close_date").asc(nulls_last=True), F("pk").asc()],
            )
        )
        .filter(place__lte=per_column)
        .select_related("lead", "owner")
        .order_by("stage_id", "place")
    )
    for deal in ranked:
        if column := board.get(deal.stage_id or 0):
            column.cards.append(deal)
    return list(board.values())
