"""Business-hours arithmetic for SLA deadlines on the Japanese calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.business_hours import BusinessHours

TOKYO = ZoneInfo("Asia/Tokyo")
HOURS = BusinessHours()


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 5, 1), True),  # Friday between Showa Day and Constitution Day
        (date(2026, 5, 2), False),  # Saturday
        (date(2026, 5, 3), False),  # Sunday, Constitution Day
        (date(2026, 5, 5), False),  # Children's Day (Golden Week)
        (date(2026, 5, 6), False),  # substitute holiday for May 3
        (date(2026, 5, 7), True),
        (date(2026, 9, 22), False),  # citizens' holiday between two holidays
        (date(2026, 12, 28), True),
        (date(2026, 12, 29), False),  # New Year closure, a Tuesday
        (date(2027, 1, 1), False),
        (date(2027, 1, 4), True),
    ],
)
def test_business_days_follow_the_japanese_calendar(day: date, expected: bool) -> None:
    assert HOURS.is_business_day(day) is expected


def test_closures_and_weekdays_are_configurable() -> None:
    six_days_no_closure = BusinessHours(working_weekdays=frozenset(range(6)), closures=frozenset())
    assert six_days_no_closure.is_business_day(date(2026, 12, 29))
    assert six_days_no_closure.is_business_day(date(2026, 5, 9))  # a Saturday
    assert not six_days_no_closure.is_business_day(date(2026, 5, 6))  # holidays still count


def test_a_datetime_is_not_taken_for_a_date() -> None:
    with pytest.raises(TypeError):
        HOURS.is_business_day(tokyo(2026, 5, 7, 10))


@pytest.mark.parametrize(
    ("start", "minutes", "deadline"),
    [
        # Friday 17:30 + 60 min: 30 min on Friday, 30 on Monday.
        (tokyo(2026, 6, 5, 17, 30), 60, tokyo(2026, 6, 8, 9, 30)),
        # Golden Week: Friday May 1 is a working day between holidays...
        (tokyo(2026, 4, 30, 17), 120, tokyo(2026, 5, 1, 10)),
        # ...but Friday May 1 17:00 + 120 skips May 2-6 (weekend, holidays, substitute).
        (tokyo(2026, 5, 1, 17), 120, tokyo(2026, 5, 7, 10)),
        # Start on the substitute holiday itself.
        (tokyo(2026, 5, 6, 11), 30, tokyo(2026, 5, 7, 9, 30)),
        # New Year closure: Monday Dec 28 17:00 + 90 lands after Jan 3 (Mon Jan 4 2027).
        (tokyo(2026, 12, 28, 17), 90, tokyo(2027, 1, 4, 9, 30)),
        # Before opening: counting starts at 09:00.
        (tokyo(2026, 6, 3, 7, 15), 45, tokyo(2026, 6, 3, 9, 45)),
        # After closing: counting starts the next morning.
        (tokyo(2026, 6, 3, 19), 10, tokyo(2026, 6, 4, 9, 10)),
        # A whole day from the opening ends at the closing, not the next morning.
        (tokyo(2026, 6, 3, 9), 540, tokyo(2026, 6, 3, 18)),
        (tokyo(2026, 6, 3, 9), 541, tokyo(2026, 6, 4, 9, 1)),
        # Zero minutes: the start when open, the next opening when closed.
        (tokyo(2026, 6, 3, 12), 0, tokyo(2026, 6, 3, 12)),
        (tokyo(2026, 6, 3, 18), 0, tokyo(2026, 6, 4, 9)),
        (tokyo(2026, 5, 6, 12), 0, tokyo(2026, 5, 7, 9)),
    ],
)
def test_deadline(start: datetime, minutes: int, deadline: datetime) -> None:
    assert HOURS.add_business_minutes(start, minutes) == deadline


def test_the_deadline_is_in_the_zone_of_the_start() -> None:
    start = datetime(2026, 6, 5, 8, 30, tzinfo=UTC)  # Friday 17:30 in Tokyo
    deadline = HOURS.add_business_minutes(start, 60)
    assert deadline.tzinfo is UTC
    assert deadline == datetime(2026, 6, 8, 0, 30, tzinfo=UTC)  # Monday 09:30 in Tokyo


def test_seconds_of_the_start_are_kept() -> None:
    start = tokyo(2026, 6, 3, 17, 59) + timedelta(seconds=30)
    assert HOURS.add_business_minutes(start, 1) == tokyo(2026, 6, 4, 9) + timedelta(seconds=30)


def test_large_minute_counts_skip_whole_days() -> None:
    # Two years of nine-hour days: one step per calendar day, not per minute.
    start = tokyo(2026, 6, 3, 9)
    minutes = 540 * 480
    deadline = HOURS.add_business_minutes(start, minutes)
    assert deadline.time() == time(18)
    assert HOURS.business_minutes_between(start, deadline) == minutes


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (tokyo(2026, 6, 5, 17, 30), tokyo(2026, 6, 8, 9, 30), 60),
        (tokyo(2026, 6, 3, 7), tokyo(2026, 6, 3, 20), 540),
        (tokyo(2026, 5, 2), tokyo(2026, 5, 7), 0),  # Golden Week
        (tokyo(2026, 12, 28, 9), tokyo(2027, 1, 5, 9), 1080),  # Dec 28 and Jan 4
        (tokyo(2026, 6, 3, 12), tokyo(2026, 6, 3, 12), 0),
        (tokyo(2026, 6, 3, 12), tokyo(2026, 6, 3, 11), 0),  # end before start
    ],
)
def test_business_minutes_between(start: datetime, end: datetime, minutes: int) -> None:
    assert HOURS.business_minutes_between(start, end) == minutes


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 6, 3, 12)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        HOURS.add_business_minutes(naive, 10)
    with pytest.raises(ValueError):
        HOURS.business_minutes_between(naive, tokyo(2026, 6, 4))
    with pytest.raises(ValueError):
        HOURS.business_minutes_between(tokyo(2026, 6, 2), naive)


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError):
        HOURS.add_business_minutes(tokyo(2026, 6, 3, 12), -1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"day_start": time(18), "day_end": time(9)},
        {"working_weekdays": frozenset()},
        {"working_weekdays": frozenset({7})},
    ],
)
def test_impossible_hours_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessHours(**kwargs)  # type: ignore[arg-type]


def test_a_calendar_without_business_days_fails_instead_of_looping() -> None:
    leap_year = [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
    every_day = frozenset((day.month, day.day) for day in leap_year)
    with pytest.raises(ValueError):
        BusinessHours(closures=every_day).add_business_minutes(tokyo(2026, 6, 3, 12), 1)


# Properties, over starts from 2025 to 2028 (Golden Weeks and New Years included).
starts = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(TOKYO),
)
minute_counts = st.integers(min_value=0, max_value=540 * 30)


def opening_instants(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(TOKYO)
    return (
        datetime.combine(local.date(), HOURS.day_start, tzinfo=TOKYO),
        datetime.combine(local.date(), HOURS.day_end, tzinfo=TOKYO),
    )


@given(starts.filter(HOURS.is_open), minute_counts)
def test_counting_back_a_deadline_gives_its_minutes(start: datetime, minutes: int) -> None:
    deadline = HOURS.add_business_minutes(start, minutes)
    assert HOURS.business_minutes_between(start, deadline) == minutes


@given(starts, minute_counts, minute_counts)
def test_more_minutes_never_give_an_earlier_deadline(start: datetime, a: int, b: int) -> None:
    fewer, more = sorted((a, b))
    assert HOURS.add_business_minutes(start, fewer) <= HOURS.add_business_minutes(start, more)


@given(starts, minute_counts)
def test_a_deadline_is_within_opening_hours_or_at_closing(start: datetime, minutes: int) -> None:
    deadline = HOURS.add_business_minutes(start, minutes)
    assert deadline >= start
    if HOURS.is_open(deadline):
        return
    # The only closed instant a deadline may be is the closing time of a
    # business day, and only when at least one minute was counted.
    _, closes = opening_instants(deadline)
    assert minutes > 0
    assert deadline == closes
    assert HOURS.is_business_day(closes.date())


@given(starts, starts)
def test_minutes_between_are_additive(a: datetime, b: datetime) -> None:
    start, end = sorted((a, b))
    middle = start + (end - start) / 3
    whole = HOURS.business_minutes_between(start, end)
    parts = HOURS.business_minutes_between(start, middle) + HOURS.business_minutes_between(
        middle, end
    )
    # Flooring each part to whole minutes can lose at most one minute.
    assert whole - 1 <= parts <= whole
