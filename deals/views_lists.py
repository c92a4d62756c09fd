"""Managers' pages for the deal stages and the lost reasons."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import DealStage, LostReason
from deals import lists
from web.http import AuthenticatedRequest

KINDS: dict[str, tuple[Any, Any, str]] = {
    "stages": (DealStage, lists.StageForm, "crm.change_dealstage"),
    "reasons": (LostReason, lists.ReasonForm, "crm.change_lostreason"),
}


def _entry(model: Any, pk: int) -> Any:
    entry = model._default_manager.filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def list_page(which: str) -> Any:
    model, form_class, perm = KINDS[which]

    @require_http_methods(["GET", "POST"])
    @login_required
    @permission_required(perm, raise_exception=True)
    def view(request: AuthenticatedRequest) -> HttpResponse:
        form = form_class(request.POST or None, prefix="new")
        if request.method == "POST" and form.is_valid():
            entry = lists.save_entry(form, by=request.user)
            messages.success(request, _("“%(name)s” added.") % {"name": entry})
            return redirect(f"deals:{which}")
        rows = lists.with_use(model)
        return render(
            request, "deals/list_manage.html", {"which": which, "rows": rows, "form": form}
        )

    return view


def edit_page(which: str) -> Any:
    model, form_class, perm = KINDS[which]

    @require_http_methods(["GET", "POST"])
    @login_required
    @permission_required(perm, raise_exception=True)
    def view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        entry = _entry(model, pk)
        form = form_class(request.POST or None, instance=entry)
        if request.method == "POST" and form.is_valid():
            lists.save_entry(form, by=request.user)
            messages.success(request, _("“%(name)s” saved.") % {"name": form.instance})
            return redirect(f"deals:{which}")
        return render(
            request, "deals/list_edit.html", {"which": which, "entry": entry, "form": form}
        )

    return view


def delete_action(which: str) -> Any:
    model, _form_class, perm = KINDS[which]

    @require_POST
    @login_required
    @permission_required(perm.replace("change_", "delete_"), raise_exception=True)
    def view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        entry = _entry(model, pk)
        name = str(entry)
        refused = lists.delete_entry(entry, by=request.user)
        if refused:
            messages.error(request, refused)
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(f"deals:{which}")

    return view


stage_list, stage_edit, stage_delete = (
    list_page("stages"),
    edit_page("stages"),
    delete_action("stages"),
)
reason_list, reason_edit, reason_delete = (
    list_page("reasons"),
    edit_page("reasons"),
    delete_action("reasons"),
)
