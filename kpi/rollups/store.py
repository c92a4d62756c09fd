"""2. The rollups: the events of a range of days counted at the four grains and
written in place of the range's rows, then each month they touch summed
again from its days (the monthly grain), in one transaction."""

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
from kpi.models import DailyRollup, MonthlyRollup, RollupState
from kpi.rollups.events import ALL, FAMILIES, Event, events, local_day
from kpi.rollups.names import Metric
from web.pg_copy import copy_in

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


def rebuild(first: date, last: date, families: frozenset[str] = ALL, *, months: bool = True) -> int:
    """Replace the rollups of `families` on the days from `first` to `last`
    by a fresh count from the source tables, and their months' sums (unless
    `months` is False: a caller rebuilding several ranges sums each month
    once, after the last, with `sum_months` in the same transaction). Safe
    to run twice: it recomputes from source. Returns how many daily rows it
    wrote."""
    with transaction.atomic():
        # Rebuilds take turns, so two of the same days never both insert.
        lock_state()
        cells = roll_up(events(first, last, families))
        # Every grain named, so the (grain, metric, day) index finds the rows.
        DailyRollup.objects.filter(
            grain__in=GRAINS, day__gte=first, day__lte=last, metric__in=family_metrics(families)
        ).delete()
        _write(cells)
        if months:
            sum_months(months_of(first, last), families)
    return len(cells)


def family_metrics(families: Iterable[str]) -> list[Metric]:
    return [metric for family in sorted(families) for metric in FAMILIES[family]]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_of(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def sum_months(months: Iterable[date], families: frozenset[str] = ALL) -> int:
    """Replace the monthly rows of `families` in `months` (first days) by the
    sums of their daily rows: one DELETE and one INSERT ... SELECT per month,
    in the database. Runs in the caller's transaction, after its days were
    written. Returns how many monthly rows it wrote."""
    metrics = [str(metric) for metric in family_metrics(families)]
    if not metrics:
        return 0
    assert connection.in_atomic_block, "sum a month in the transaction that rewrote its days"  # nosec B101  # a contract, as STYLE.md asks
    daily, monthly = DailyRollup._meta.db_table, MonthlyRollup._meta.db_table
    placeholders = ", ".join(["%s"] * len(metrics))
    # Ordered as requests read them (grain, metric), as _write orders the days.
    insert = (
        f"INSERT INTO {monthly} "  # nosec B608  # the models' table names; values are parameters
        "(month, grain, campaign_id, rep_id, metric, bucket, count, amount, cells) "
        "SELECT %s, grain, campaign_id, rep_id, metric, bucket, SUM(count), SUM(amount), "
        "COUNT(*) "
        f"FROM {daily} WHERE grain IN ({', '.join(map(str, GRAINS))}) "
        f"AND metric IN ({placeholders}) AND day >= %s AND day < %s "
        "GROUP BY grain, metric, campaign_id, rep_id, bucket ORDER BY grain, metric"
    )
    written = 0
    with connection.cursor() as cursor:
        for month in sorted(set(months)):
            MonthlyRollup.objects.filter(grain__in=GRAINS, month=month, metric__in=metrics).delete()
            cursor.execute(insert, [month, *metrics, month, next_month(month)])
            written += max(cursor.rowcount, 0)
    return written


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
        copy_in(cursor, f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN", buffer)


def lock_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=state.pk)


def rebuild_all() -> int:
    """Rebuild every day from the first lead to today, a month at a time (each
    month, its days and their sum, in its own transaction, so the minute
    refresh can run in between). Returns how many daily rows it wrote."""
    earliest = Lead.objects.aggregate(first=Min("created_at"))["first"]
    today = timezone.localdate()
    first = min(local_day(earliest), today) if earliest else today
    DailyRollup.objects.filter(Q(day__lt=first) | Q(day__gt=today)).delete()
    MonthlyRollup.objects.filter(
        Q(month__lt=month_start(first)) | Q(month__gt=month_start(today))
    ).delete()
    written = 0
    for month in months_of(first, today):
        # The first month from the first lead's day (the days before it were
        # emptied above); its sum is of the whole month all the same.
        written += rebuild(max(month, first), min(next_month(month) - timedelta(days=1), today))
    RollupState.objects.filter(pk=1).update(rebuilt_at=Now())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics, and a visibility map so that requests read the
        # covering indexes alone.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DailyRollup._meta.db_table}")
            cursor.execute(f"VACUUM (ANALYZE) {MonthlyRollup._meta.db_table}")
    return written
