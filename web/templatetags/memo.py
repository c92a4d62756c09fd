"""`{% memo key ... %}…{% endmemo %}`: a fragment rendered once per key and
kept in this process.

For the chrome every page repeats (the top bar, a list's buttons and
labels): dozens of `{% translate %}`, `{% url %}` and permission checks that
give the same markup for the same inputs. The key is what the fragment
reads (a user's permissions, the page's name...), plus the active language,
the URL configuration and the script prefix, which every fragment reads
through `{% translate %}` and `{% url %}`; a fragment whose key leaves out
something it reads would show one person's markup to another, so a fragment
never reads the request, the CSRF token or a form. One exception: a list's
filter form keyed by the query string it is bound to (`list_query`), its
fields' values, for fields whose choices are fixed in the code (never rows
of the database, which the key does not hold: tests/web/test_memo.py checks
the lead list's). Nothing is invalidated:
a changed input is a new key. The node keeps its fragments (with the cached
template loader, as long as the process); at most MAX_KEYS a node, then it
starts again.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

MAX_KEYS = 2000


class MemoNode(template.Node):
    def __init__(self, nodelist: NodeList, keys: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.keys = keys
        self.fragments: dict[tuple[Any, ...], SafeString] = {}

    def render(self, context: template.Context) -> str:
        key = (
            translation.get_language(),
            get_urlconf(),
            get_script_prefix(),
            *(_hashable(expression.resolve(context)) for expression in self.keys),
        )
        fragment = self.fragments.get(key)
        if fragment is None:
            if len(self.fragments) >= MAX_KEYS:  # keys come from requests: stay bounded
                self.fragments.clear()
            # Rendered by the template engine, which escaped every variable.
            fragment = mark_safe(self.nodelist.render(context))  # nosec B308 B703
            self.fragments[key] = fragment
        return fragment


def _hashable(value: Any) -> Any:
    """A list (the columns shown) as a tuple, its items alike."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    return value


@register.tag
def memo(parser: Parser, token: Token) -> MemoNode:
    """`{% memo view user|perms_key %}…{% endmemo %}`"""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, keys)


@register.filter
def perms_key(user: Any) -> tuple[Any, ...]:
    """What `{% if perms.… %}` and `user.is_staff` read of a user, hashable."""
    if not user.is_authenticated:
        return ()
    return (
        user.is_active,
        user.is_superuser,
        user.is_staff,
        frozenset(user.get_all_permissions()),
    )
