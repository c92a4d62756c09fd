"""The global search: a results page (a GET form works without JavaScript)
and the top bar's dropdown, the same view answering htmx with a fragment."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from crm import search
from crm.forms_search import SearchForm
from web.http import AuthenticatedRequest


@require_safe
@login_required
def global_search(request: AuthenticatedRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    limit = search.DROPDOWN_LIMIT if request.htmx else search.PAGE_LIMIT
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search.global_search(query, user=request.user, limit=limit)
    template = "crm/search.html#dropdown" if request.htmx else "crm/search.html"
    return render(request, template, {"form": form, "results": results, "nav": "search"})
