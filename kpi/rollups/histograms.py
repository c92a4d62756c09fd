"""Histogram buckets for durations: why percentiles are read from summed
buckets is in kpi.rollups' docstring."""

from __future__ import annotations

import bisect
from datetime import timedelta

# Histogram buckets: bucket i holds values above BOUNDS[i-1] up to BOUNDS[i];
# the last bucket, len(BOUNDS), holds everything longer.
SPEED_MINUTES = [
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240,
    300, 360, 480, 600, 720, 960, 1200, 1440, 2160, 2880, 4320, 5760, 7200, 10080, 14400,
    20160, 30240, 43200,
]  # fmt: skip
STEP_DAYS = [*range(8), 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365]


def speed_bucket(duration: timedelta) -> int:
    return bisect.bisect_left(SPEED_MINUTES, max(duration.total_seconds(), 0) / 60)


def step_bucket(duration: timedelta) -> int:
    return bisect.bisect_left(STEP_DAYS, max(duration.days, 0))


def percentile(histogram: dict[int, int], fraction: float, bounds: list[int]) -> int | None:
    """The upper bound of the bucket holding the nearest-rank percentile;
    None for no values, -1 for "beyond the last bound"."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(fraction * total * 1000) // 1000))  # ceil without float noise
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bounds[bucket] if bucket < len(bounds) else -1
    return -1  # pragma: no cover
