"""Links between the pages of one section of a page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], param: str, number: int) -> str:
    """The current query string with `param` set to `number`: a page with
    several sections shown a page at a time keeps the others where they are."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"
