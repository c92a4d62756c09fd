"""The pages of a list's saved views (save, open, rename, share, delete,
choose the default), made once for each list from its `ListSpec`: the lead
list's here, the deal list's in deals/views_saved.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm import saved_views
from crm.forms_lists import RenameViewForm, SavedViewForm
from crm.models import SavedView
from crm.saved_views import ListSpec
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class SavedViewPages:
    manage: View
    create: View
    edit: View
    delete: View
    default: View


def _errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def pages_for(spec: ListSpec) -> SavedViewPages:
    """The five views of `spec`'s saved views, each behind `spec.permission`.
    A view of another list is out of scope here (404)."""

    def guarded(view: View) -> View:
        return login_required(permission_required(spec.permission, raise_exception=True)(view))

    def views_of_list() -> Any:
        return SavedView.objects.filter(list=spec.key)

    def to_list(query: str = "") -> str:
        url = reverse(spec.list_url)
        return f"{url}?{query}" if query else url

    @require_safe
    @guarded
    def manage(request: AuthenticatedRequest) -> HttpResponse:
        """The list's views: open, rename, share, delete, choose the default."""
        choices = saved_views.for_list(request.user, spec.key)
        return render(request, "crm/saved_views.html", {"choices": choices, "spec": spec})

    @require_POST
    @guarded
    def create(request: AuthenticatedRequest) -> HttpResponse:
        """Save the list's filters, sort and columns (the posted `query`) under a name."""
        form = SavedViewForm(request.POST, spec=spec)
        query = QueryDict(request.POST.get("query", "")[:2000])
        if not form.is_valid():
            messages.error(request, _errors(form))
            return redirect(to_list(query.urlencode()))
        view = form.save(commit=False)
        view.list, view.owner = spec.key, request.user
        view.query = saved_views.filters_only(query)
        view.columns = saved_views.columns_of(query, spec)
        view.save()
        if form.cleaned_data["make_default"]:
            saved_views.set_default(request.user, spec.key, view)
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(to_list(saved_views.address(view)))

    @require_POST
    @guarded
    def edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        """Rename or (un)share one's own view."""
        view = get_visible_or_404(views_of_list().filter(owner=request.user), request.user, pk)
        form = RenameViewForm(request.POST, instance=view)
        if form.is_valid():
            form.save()
            messages.success(request, _("View saved."))
        else:
            messages.error(request, _errors(form))
        return redirect(spec.manage_url)

    @require_POST
    @guarded
    def delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        """Delete one's own view; managers delete shared ones too."""
        view = get_visible_or_404(views_of_list(), request.user, pk)
        if not view.deletable_by(request.user):
            raise Http404
        view.delete()
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return redirect(spec.manage_url)

    @require_POST
    @guarded
    def default(request: AuthenticatedRequest) -> HttpResponse:
        """Choose the view the list opens with (`view` empty: none)."""
        pk = request.POST.get("view", "")
        view = get_visible_or_404(views_of_list(), request.user, pk) if pk else None
        saved_views.set_default(request.user, spec.key, view)
        if view is None:
            messages.success(request, str(spec.opens_unfiltered))
        else:
            messages.success(request, str(spec.opens_with) % {"name": view.name})
        return redirect(spec.manage_url)

    return SavedViewPages(manage=manage, create=create, edit=edit, delete=delete, default=default)
