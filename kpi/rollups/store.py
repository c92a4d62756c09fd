"""2. The rollups: the events of a range of days counted at the four grains and
written in place of the range's rows, in one transaction."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min, Q
from django.db.models.functions import Now
from django.utils import timezone

from crm.models import Lead
from kpi.models import DailyRollup, RollupState
from kpi.rollups.events import ALL, FAMILIES, Event, events, local_day
from kpi.rollups.names import Metric

# GRAINS[grain] = (keeps the campaign, keeps the rep)
GRAINS = {0: (False, False), 1: (True, False), 2: (False, True), 3: (True, True)}

Cell = tuple[date, int, int, int, Metric, int]  # day, grain, campaign, rep, metric, bucket


def roll_up(found: Iterable[Event]) -> dict[Cell, list[int | Decimal]]:
    """The events counted at every grain."""
    cells: dict[Cell, list[int | Decimal]] = defaultdict(lambda: [0, Decimal(0)])
    for event in found:
        for grain, (by_campaign, by_rep) in GRAINS.items():
            if by_rep and not event.rep:
                # Nobody reads rep 0 by rep: a rep filter names a rep, and the
                # per-rep table leaves out what no rep did.
                continue
            key = (
                event.day,
                grain,
                event.campaign if by_campaign else 0,
                event.rep if by_rep else 0,
                event.metric,
                event.bucket,
            )
            cell = cells[key]
            cell[0] += event.count
            cell[1] += event.amount
    return cells


def rebuild(first: date, last: date, families: frozenset[str] = ALL) -> int:
    """Replace the rollups of `families` on the days from `first` to `last`
    by a fresh count from the source tables. Safe to run twice: it recomputes
    from source. Returns how many rows it wrote."""
    metrics = [metric for family in families for metric in FAMILIES[family]]
    with transaction.atomic():
        # Rebuilds take turns, so two of the same days never both insert.
        lock_state()
        cells = roll_up(events(first, last, families))
        # Every grain named, so the (grain, metric, day) index finds the rows.
        DailyRollup.objects.filter(
            grain__in=GRAINS, day__gte=first, day__lte=last, metric__in=metrics
        ).delete()
        _write(cells)
    return len(cells)


COLUMNS = ("day", "grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount")


def _write(cells: dict[Cell, list[int | Decimal]]) -> None:
    """Insert the cells: by COPY on PostgreSQL (a nightly rebuild writes
    millions of rows; building a model instance for each took most of its
    time), by bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        DailyRollup.objects.bulk_create(
            (
                DailyRollup(**dict(zip(COLUMNS, (*key, *values), strict=True)))
                for key, values in cells.items()
            ),
            batch_size=2000,
        )
        return
    buffer = io.StringIO()
    # In the order requests read them (grain, metric, day), so that a quarter
    # of one metric lies on few pages.
    ordered = sorted(cells.items(), key=lambda cell: (cell[0][1], cell[0][4], cell[0][0]))
    for (day, grain, campaign, rep, metric, bucket), (count, amount) in ordered:
        buffer.write(
            f"{day.isoformat()}\t{grain}\t{campaign}\t{rep}\t{metric}\t{bucket}\t{count}\t{amount}\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        table = DailyRollup._meta.db_table
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN", buffer)  # type: ignore[attr-defined]


def lock_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=state.pk)


def rebuild_all(*, chunk_days: int = 31) -> int:
    """Rebuild every day from the first lead to today, a month at a time (each
    month in its own transaction, so the minute refresh can run in between).
    Returns how many rows it wrote."""
    earliest = Lead.objects.aggregate(first=Min("created_at"))["first"]
    today = timezone.localdate()
    first = min(local_day(earliest), today) if earliest else today
    DailyRollup.objects.filter(Q(day__lt=first) | Q(day__gt=today)).delete()
    written = 0
    day = first
    while day <= today:
        last = min(day + timedelta(days=chunk_days - 1), today)
        written += rebuild(day, last)
        day = last + timedelta(days=1)
    RollupState.objects.filter(pk=1).update(rebuilt_at=Now())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics, and a visibility map so that requests read the
        # covering index alone.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DailyRollup._meta.db_table}")
    return written
