"""The KPI rollups: every KPI event, dated and counted per day, kept current.

A package of three steps: `events` (what happened, derived from the source
tables), `store` (counted per day and grain, written), `refresh` (which days
to rebuild); `names` holds the metric names the figures read them by and
`histograms` the duration buckets.

How a dashboard request stays fast: it never reads leads, stage changes,
handoffs or deals. It reads rollup rows: per day (`DailyRollup`) or per
month (`MonthlyRollup`, each month the sum of its days), metric, campaign,
rep and histogram bucket, at the one grain its filters need (see the
models). A period's months come from the monthly rows; a partial month is
read as its days inside the period or as the whole month less its days
outside, whichever is fewer days (kpi.metrics.cells.spans). At 1,000,000
leads a year and the year before, read by day, were 1.2 million rows; by
month, 88,000 (bench/README.md). Every
figure is a sum (counts, yen, histogram buckets; nothing counts distinct
things across days: each event belongs to one day), so a month's sum is
exact.

How the rows stay right:

1. `events(first, last)` derives every KPI event whose day falls in a range
   of local days, from the source tables, with a bounded number of queries
   (set-based reads, a few per 5,000 leads; each event belongs to exactly one
   day, so a range can be recomputed on its own).
2. `rebuild(first, last)` replaces the range's rows by those events, rolled
   up to the four grains, then sums each month the range touches again from
   its daily rows (`sum_months`, in the database), in one transaction.
   Recomputing from the source makes it safe to run twice, in any order.
3. `refresh()` (Celery beat, every minute) finds the days that changed since
   it last ran — new stage changes and leads by id, handoffs, SLA deadlines
   and deals by their timestamps (a reopened deal's old closing day by its
   history), less a margin for transactions that committed late — rebuilds
   only those days, then sums each of their months once, all in one
   transaction.
4. `rebuild_all()` (nightly) rebuilds every day and month, a month per
   transaction: the safety net for anything the refresh cannot see (a
   release clears `claimed_at`; a stage change whose transaction committed
   after a later id was seen).

Why histograms for the medians and percentiles: a median of medians is not
the median, so percentiles cannot be summed across days, campaigns or reps.
A per-handoff fact table would give exact figures but a request would read
one row per handoff in the period (25,000 a quarter at reference volume,
growing with the business). Histograms are additive: each duration falls in
a bucket, buckets are counted like any other event, and a percentile is read
from the summed buckets. The price is resolution: a percentile is reported
as the upper bound of its bucket ("at most 20 minutes"); buckets grow by
about a quarter each, so the figure is at most that much above the exact
one. Days per funnel step are exact whole days up to a week, then the
upper bound of a bucket (10, 14, 21, 30, 45, 60, 90 … days): each bucket is
a row per day, campaign and rep, and finer ones doubled what a request reads.
"""

from kpi.rollups.events import ALL, FAMILIES, REJECT_REASONS, Event, events, local_day, won_at
from kpi.rollups.histograms import (
    SPEED_MINUTES,
    STEP_DAYS,
    percentile,
    speed_bucket,
    step_bucket,
)
from kpi.rollups.names import FUNNEL, Metric
from kpi.rollups.refresh import refresh
from kpi.rollups.store import (
    GRAINS,
    month_start,
    months_of,
    next_month,
    rebuild,
    rebuild_all,
    roll_up,
    sum_months,
)

__all__ = [
    "ALL",
    "FAMILIES",
    "FUNNEL",
    "GRAINS",
    "REJECT_REASONS",
    "SPEED_MINUTES",
    "STEP_DAYS",
    "Event",
    "Metric",
    "events",
    "local_day",
    "month_start",
    "months_of",
    "next_month",
    "percentile",
    "rebuild",
    "rebuild_all",
    "refresh",
    "roll_up",
    "speed_bucket",
    "step_bucket",
    "sum_months",
    "won_at",
]
