"""Dates as Django's formats write them, fast enough for a table's cells."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from django.utils.formats import date_format

# A format's year, month and day letters as str.format fields; a format of
# these and the separators only is one format() call per cell.
_SIMPLE_DATE: dict[str, str] = {
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "d": "{0.day:02d}",
    "n": "{0.month}",
    "j": "{0.day}",
    "/": "/",
    "-": "-",
    ".": ".",
}


def date_writer(django_format: str) -> Callable[[date], str]:
    """A function writing a date in `django_format` (SHORT_DATE_FORMAT), as
    Django's date_format does, worked out once for a table's cells: one
    str.format call when the format is made of year, month and day numbers
    only, instead of a DateFormat per cell."""
    if set(django_format) <= _SIMPLE_DATE.keys():
        return "".join(_SIMPLE_DATE[c] for c in django_format).format
    return functools.partial(date_format, format=django_format)
