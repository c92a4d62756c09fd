"""The pipeline board: a column per open stage with its count, sum and
weighted sum, and its first cards. Four queries whatever the number of
deals: the stages, the sums grouped by stage in SQL, and the first
CARDS_PER_COLUMN cards of every column (one LIMITed scan per stage, in one
statement), then those cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from crm.models import Deal, DealStage
from crm.models.deal import DealQuerySet

# Cards shown per column; the column's "more" link lists the rest.
CARDS_PER_COLUMN = 20

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
    # The "move to" select's options, rendered once per column (views_board).
    options: str = ""

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
    cards = _first_cards(open_deals, list(board), per_column)
    for deal in cards:
        if column := board.get(deal.stage_id or 0):
            column.cards.append(deal)
    return list(board.values())


def _first_cards(open_deals: DealQuerySet, stage_ids: list[int], per_column: int) -> list[Deal]:
    """The first cards of every column (closing soonest): one statement of
    one LIMITed index scan per stage, then those deals with their lead and owner."""
    soonest = (F("expected_close_date").asc(nulls_last=True), "pk")
    parts = [
        open_deals.filter(stage_id=stage_id)
        .order_by(*soonest)
        .values_list("pk", flat=True)[:per_column]
        for stage_id in stage_ids
    ]
    if not parts:
        return []
    if connections[open_deals.db].features.supports_slicing_ordering_in_compound:
        ids = list(parts[0].union(*parts[1:], all=True))
    else:  # SQLite (`make run`) cannot LIMIT inside a UNION: a query per column.
        ids = [pk for part in parts for pk in part]
    return list(Deal.objects.filter(pk__in=ids).select_related("lead", "owner").order_by(*soonest))
