"""Business-hours arithmetic for SLA deadlines, Japanese calendar by default.

A business day is a working weekday that is neither a Japanese public holiday
(substitute and "citizens'" holidays included, from `jpholiday`) nor one of the
closure dates (Dec 29 - Jan 3 by default, as most Japanese companies close).
On a business day the office is open from `day_start` to `day_end`, local time
in `time_zone`.

Boundaries: opening hours are the half-open interval [day_start, day_end), so
18:00 itself is closed and counting from it starts at the next opening. A
deadline is the instant the last minute has elapsed, so it may be exactly
day_end (09:00 + 540 minutes is 18:00 the same day, not 09:00 the next
business day). With zero minutes the deadline is the start itself when open,
otherwise the next opening.

Minutes are elapsed minutes; seconds of the start are kept. Japan has no
daylight saving time; in a zone that has, a day's hours are its real length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import jpholiday

NEW_YEAR_CLOSURE = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})
MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
# More consecutive closed days than this means the calendar has no business
# day at all; stop instead of looping forever.
MAX_CLOSED_RUN = 400


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours and closed days; the defaults are a Tokyo office's."""

    time_zone: str = "Asia/Tokyo"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    # Days of the week worked, Monday is 0 (date.weekday()).
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    # (month, day) pairs closed every year whatever the weekday.
    closures: frozenset[tuple[int, int]] = NEW_YEAR_CLOSURE

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises ZoneInfoNotFoundError for an unknown zone
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are local times without a time zone")
        if self.day_start >= self.day_end:
            raise ValueError("day_start must be before day_end")
        if not self.working_weekdays or not self.working_weekdays <= set(range(7)):
            raise ValueError("working_weekdays must be a non-empty set of 0 (Monday) to 6")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_business_day(self, day: date) -> bool:
        """True for a working weekday that is no public holiday and no closure."""
        if isinstance(day, datetime):
            # A datetime's date depends on its zone; make the caller choose.
            raise TypeError("is_business_day takes a date; use .astimezone(tz).date()")
        return (
            day.weekday() in self.working_weekdays
            and (day.month, day.day) not in self.closures
            and not is_public_holiday(day)
        )

    def is_open(self, moment: datetime) -> bool:
        """True when `moment` falls within opening hours [day_start, day_end)."""
        _require_aware(moment)
        local = moment.astimezone(self.tz)
        return self.is_business_day(local.date()) and self.day_start <= local.time() < self.day_end

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The deadline `minutes` business minutes after `start`, in start's zone.

        Counting starts at `start` when open, otherwise at the next opening.
        """
        _require_aware(start)
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        remaining = timedelta(minutes=minutes)
        moment = start.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        closed_run = 0
        # One step per calendar day: whole days are taken at once, never minute by minute.
        while True:
            if self.is_business_day(day):
                closed_run = 0
                opens, closes = self._hours(day)
                begin = max(moment, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(start.tzinfo)
                    remaining -= closes - begin
            else:
                closed_run += 1
                if closed_run > MAX_CLOSED_RUN:
                    raise ValueError("the calendar has no business days")
            day += ONE_DAY

    def business_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes elapsed from `start` to `end`; 0 if end <= start."""
        _require_aware(start)
        _require_aware(end)
        if end <= start:
            return 0
        begin, finish = start.astimezone(UTC), end.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        elapsed = timedelta(0)
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._hours(day)
                overlap = min(finish, closes) - max(begin, opens)
                if overlap > timedelta(0):
                    elapsed += overlap
            day += ONE_DAY
        return elapsed // ONE_MINUTE

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instants of `day`, in UTC so that subtraction is real time."""
        tz = self.tz
        return (
            datetime.combine(day, self.day_start, tzinfo=tz).astimezone(UTC),
            datetime.combine(day, self.day_end, tzinfo=tz).astimezone(UTC),
        )


@lru_cache(maxsize=4096)
def is_public_holiday(day: date) -> bool:
    """Whether `day` is a Japanese public holiday (substitute and citizens'
    holidays included), cached per date."""
    return bool(jpholiday.is_holiday(day))


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time-zone-aware datetime is required")
