"""Form widgets that render in Python what Django renders with templates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.safestring import SafeString

SELECTED = " selected"


class QuickSelect(forms.Select):
    """A <select> with the markup of Django's own, built in Python.

    Django renders each option through two templates: the lead list's
    filters (200 campaigns, 47 prefectures, the owners...) took more than half
    of the page's time that way. Same HTML, a small part of the work: a select
    whose choices are fixed in the code (stages, prefectures...) is built once
    per language and selected value, then reused; one of rows (`label_field`
    given) reads just their ids and labels, no model instances.
    """

    def __init__(
        self,
        *args: Any,
        label_field: str = "",
        label_fields: tuple[str, ...] = (),
        label: Callable[..., str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`label_field`: the column shown; or `label_fields` read together and
        turned into the label by `label(*values)` (a user's name)."""
        super().__init__(*args, **kwargs)
        self.label_field = label_field
        self.label_fields = label_fields
        self.label = label
        self._built: dict[tuple[str, str, str], SafeString] = {}

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        choices = self.choices
        if isinstance(choices, ModelChoiceIterator):  # rows: read every time
            if not (self.label_field or self.label_fields):  # labels from label_from_instance
                return self._build(name, value, attrs, list(choices))
            pairs: list[tuple[Any, Any]] = []
            if choices.field.empty_label is not None:
                pairs.append(("", choices.field.empty_label))
            if self.label_fields and self.label is not None:
                label = self.label
                rows = choices.queryset.values_list("pk", *self.label_fields)
                pairs += [(pk, label(*values)) for pk, *values in rows]
            else:
                pairs += choices.queryset.values_list("pk", self.label_field)
            return self._build(name, value, attrs, pairs)
        key = (name, str(value), f"{translation.get_language()}{attrs}")
        if key not in self._built:
            if len(self._built) > 1000:  # values come from requests: stay bounded
                self._built.clear()
            self._built[key] = self._build(name, value, attrs, self._flat(choices))
        return self._built[key]

    def _flat(self, choices: Iterable[Any]) -> list[tuple[Any, Any]]:
        flat = []
        for option_value, label in choices:
            if isinstance(label, (list, tuple)):  # an optgroup: not used here
                raise NotImplementedError("QuickSelect has no option groups")
            flat.append((option_value, label))
        return flat

    def _build(
        self, name: str, value: Any, attrs: dict[str, Any] | None, pairs: list[tuple[Any, Any]]
    ) -> SafeString:
        selected = set(self.format_value(value))
        # The standard library's escape, as Django's own does, without the
        # wrapper for lazy strings: hundreds of options a page.
        options = "".join(
            f'<option value="{escape(str(v))}"{SELECTED if str(v) in selected else ""}>'
            f"{escape(str(label))}</option>"
            for v, label in pairs
        )
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        markup = f'<select name="{escape(name)}"{final_attrs}>{options}</select>'
        return SafeString(markup)  # nosec B703  # every value and label escaped above; flatatt escapes
