"""Dates as Django's formats write them, fast enough for a table's cells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils.formats import date_format

_SIMPLE_DATE: dict[str, Callable[[date], str]] = {
    "Y": lambda d: f"{d.year:04d}",
    "m": lambda d: f"{d.month:02d}",
    "d": lambda d: f"{d.day:02d}",
    "n": lambda d: str(d.month),
    "j": lambda d: str(d.day),
    "/": lambda d: "/",
    "-": lambda d: "-",
    ".": lambda d: ".",
}


def short_date(day: date, django_format: str) -> str:
    """A date in `django_format` (SHORT_DATE_FORMAT), without building a
    DateFormat per cell when the format is made of year, month and day
    numbers only."""
    if set(django_format) <= _SIMPLE_DATE.keys():
        return "".join(_SIMPLE_DATE[c](day) for c in django_format)
    return date_format(day, django_format)
