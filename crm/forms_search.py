"""The global search's one field (the top bar, the results page)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.search import MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    # CharField refuses NUL characters (PostgreSQL cannot store or compare
    # them) with a sentence; too long a text is refused the same way.
    q = forms.CharField(label=_("Search"), max_length=MAX_QUERY_LENGTH, required=False)
