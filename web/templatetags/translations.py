"""Django's `i18n` tag library, with `{% translate "a literal" %}` worked out
once per language instead of on every render.

Settings map `{% load i18n %}` to this library (TEMPLATES' "libraries"):
every template keeps Django's tags and filters, and `makemessages` reads the
same tags. A page repeats dozens of translated labels (the lead list 44): each
was a catalogue look-up, an escape and a few copies per request. A literal's
translation depends only on the active language and on whether the template
escapes at that point, so the node keeps the result per (language, escaping).
Anything else, `{% translate some_variable %}`, a filter, `as`, `noop` or a
context, is rendered by Django's node as before.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token, Variable
from django.templatetags import i18n
from django.utils import translation

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class LiteralTranslateNode(i18n.TranslateNode):
    """`{% translate "…" %}` of a literal, kept per language and escaping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rendered: dict[tuple[str | None, bool], str] = {}

    def render(self, context: template.Context) -> str:
        key = (translation.get_language(), context.autoescape)
        try:
            return self.rendered[key]
        except KeyError:
            text = self.rendered[key] = super().render(context)
            return text


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> i18n.TranslateNode:
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    literal = isinstance(expression.var, Variable) and expression.var.literal is not None
    if literal and not (expression.filters or node.noop or node.asvar or node.message_context):
        return LiteralTranslateNode(expression, node.noop)
    return node
