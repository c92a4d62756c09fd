"""Form widgets that render in Python what Django renders with templates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django import forms
from django.db import connections
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
        declared_rows: bool = False,
        **kwargs: Any,
    ) -> None:
        """`label_field`: the column shown; or `label_fields` read together and
        turned into the label by `label(*values)` (a user's name).

        `declared_rows`: the field's queryset is the one declared with the
        form, never replaced per request. Its SQL is then compiled once, and
        the markup is built once per set of rows read (and language, value):
        the rows are still read every time, so a renamed campaign or a new
        user shows at once."""
        super().__init__(*args, **kwargs)
        self.label_field = label_field
        self.label_fields = label_fields
        self.label = label
        self.declared_rows = declared_rows
        # Shared by the copies each form makes (Widget.__deepcopy__ is shallow).
        self._built: dict[tuple[Any, ...], SafeString] = {}
        self._sql: dict[str, tuple[str, tuple[Any, ...]]] = {}

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
            fields = self.label_fields or (self.label_field,)
            if not self.declared_rows:
                return self._build_rows(
                    name, value, attrs, choices, list(choices.queryset.values_list("pk", *fields))
                )
            rows = self._declared_rows(choices.queryset, fields)
            key: tuple[Any, ...] = (name, str(value), f"{translation.get_language()}{attrs}", rows)
            if key not in self._built:
                if len(self._built) > 1000:  # values come from requests: stay bounded
                    self._built.clear()
                self._built[key] = self._build_rows(name, value, attrs, choices, list(rows))
            return self._built[key]
        key = (name, str(value), f"{translation.get_language()}{attrs}")  # choices fixed in code
        if key not in self._built:
            if len(self._built) > 1000:  # values come from requests: stay bounded
                self._built.clear()
            self._built[key] = self._build(name, value, attrs, self._flat(choices))
        return self._built[key]

    def _declared_rows(self, queryset: Any, fields: tuple[str, ...]) -> tuple[tuple[Any, ...], ...]:
        """The rows of the declared queryset: (pk, *fields), by SQL compiled once."""
        database = queryset.db
        if (compiled := self._sql.get(database)) is None:
            query = queryset.values_list("pk", *fields).query
            sql, params = query.get_compiler(database).as_sql()
            compiled = self._sql[database] = (sql, tuple(params))
        with connections[database].cursor() as cursor:
            cursor.execute(*compiled)
            return tuple(cursor.fetchall())

    def _build_rows(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None,
        choices: ModelChoiceIterator,
        rows: list[tuple[Any, ...]],
    ) -> SafeString:
        pairs: list[tuple[Any, Any]] = []
        if choices.field.empty_label is not None:
            pairs.append(("", choices.field.empty_label))
        if self.label_fields and self.label is not None:
            label = self.label
            pairs += [(pk, label(*values)) for pk, *values in rows]
        else:
            pairs += [(pk, label) for pk, label in rows]
        return self._build(name, value, attrs, pairs)

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
