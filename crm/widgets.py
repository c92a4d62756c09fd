"""Form widgets that render in Python what Django renders with templates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class QuickSelect(forms.Select):
    """A <select> with the markup of Django's own, built in Python.

    Django renders each option through two templates: the lead list's
    filters (200 campaigns, 47 prefectures, the owners...) took more than half
    of the page's time that way. Same HTML, a small part of the work; and a
    select whose choices are fixed in the code (stages, prefectures...) is
    built once per language and selected value, then reused.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: dict[tuple[str, str, str], SafeString] = {}

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        if isinstance(self.choices, ModelChoiceIterator):  # rows: read every time
            return self._build(name, value, attrs)
        key = (name, str(value), f"{translation.get_language()}{attrs}")
        if key not in self._built:
            if len(self._built) > 1000:  # values come from requests: stay bounded
                self._built.clear()
            self._built[key] = self._build(name, value, attrs)
        return self._built[key]

    def _build(self, name: str, value: Any, attrs: dict[str, Any] | None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((str(o["value"]), flatatt(o["attrs"]), o["label"]) for o in options),
            )
            if group_name:
                html = format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
            groups.append(html)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            SafeString("".join(groups)),
        )
