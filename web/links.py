"""What a table's rows repeat, worked out once instead of once a row.

Django's `get_FOO_display` hashes every choice's lazy label to find one, and
`reverse` walks the URL patterns each time: in a table of fifty rows each
was a good part of the page's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db.models import Choices
from django.urls import get_script_prefix, reverse

# A placeholder id, replaced by each row's own in the URL reversed once.
_PLACEHOLDER = "2147483647"


@functools.cache
def choice_labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    """Each choice's label in `language` (the active one: pass
    translation.get_language(), which is also the cache's key)."""
    return {str(value): str(label) for value, label in choices.choices}


@functools.cache
def _url_parts(viewname: str, prefix: str) -> tuple[str, str]:
    before, _, after = reverse(viewname, args=[int(_PLACEHOLDER)]).partition(_PLACEHOLDER)
    return before, after


def pk_url(viewname: str, pk: int) -> str:
    """`reverse(viewname, args=[pk])` for a URL with one integer, the pattern
    reversed once per script prefix."""
    before, after = _url_parts(viewname, get_script_prefix())
    return f"{before}{pk}{after}"


def pk_urls(viewname: str) -> Callable[[int], str]:
    """pk_url for one view, the script prefix read once: a table's rows call it."""
    before, after = _url_parts(viewname, get_script_prefix())
    return lambda pk: f"{before}{pk}{after}"
