"""The lead list's saved views and bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from audit import trail
from crm import bulk, export, views_export, views_saved
from crm.forms_lists import LEAD_LIST, BulkActionForm
from crm.models import BulkJob, Lead
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

VIEW_PERMISSION = "crm.view_lead"


def _lead_list(query: str = "") -> str:
    url = reverse("crm:lead_list")
    return f"{url}?{query}" if query else url


def _form_errors(form: BulkActionForm) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# The lead list's saved views (crm/views_saved.py makes them from the spec).
_views = views_saved.pages_for(LEAD_LIST)
saved_view_list, saved_view_create, saved_view_edit = _views.manage, _views.create, _views.edit
saved_view_delete, saved_view_default = _views.delete, _views.default


@require_POST
@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def lead_bulk(request: AuthenticatedRequest) -> HttpResponse:
    """Do one action to the ticked leads, or to all the filters match."""
    form = BulkActionForm(request.POST)
    back = _lead_list(request.POST.get("filters", "")[:2000])
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    action = form.cleaned_data["action"]
    if action == BulkActionForm.EXPORT:
        return _export(request, form, back)
    if action == BulkActionForm.MERGE:
        if not request.user.has_perms(["crm.change_lead", "crm.view_all_leads"]):
            messages.error(request, _("Only marketers merge leads."))
            return redirect(back)
        keep, other = form.cleaned_data["ids"]
        return redirect(f"{reverse('crm:merge')}?keep={keep}&others={keep}&others={other}")
    return _change(request, form, back)


def _change(request: AuthenticatedRequest, form: BulkActionForm, back: str) -> HttpResponse:
    """Assign, change the stage or add to a campaign: the leads the user may
    change, in this request up to bulk.SYNC_LIMIT, else as a job."""
    action = form.cleaned_data["action"]
    ids = list(
        form.selection(Lead.objects.changeable_by(request.user)).values_list("pk", flat=True)
    )
    asked = None if form.cleaned_data["all_matching"] else len(form.cleaned_data["ids"])
    if not ids:
        messages.error(request, _("You may not change any of the selected leads."))
        return redirect(back)
    if asked is not None and len(ids) < asked:
        skipped = asked - len(ids)
        messages.warning(
            request,
            ngettext(
                "%(count)d selected lead was left as it is: you may not change it.",
                "%(count)d selected leads were left as they are: you may not change them.",
                skipped,
            )
            % {"count": skipped},
        )
    if len(ids) > bulk.SYNC_LIMIT:
        job = bulk.start_job(action, ids, form.params(), by=request.user)
        return redirect("crm:bulk_job", pk=job.pk)
    changed = bulk.run_now(action, ids, form.params(), by=request.user)
    message = ngettext("%(count)d lead changed.", "%(count)d leads changed.", changed)
    messages.success(request, message % {"count": changed})
    return redirect(back)


def _export(request: AuthenticatedRequest, form: BulkActionForm, back: str) -> HttpResponse:
    """The selection as CSV (UTF-8 with BOM), the columns of the list's export."""
    if not request.user.has_perm("crm.export_leads"):
        messages.error(request, _("You may not export leads."))
        return redirect(back)
    leads = (
        form.selection(Lead.objects.visible_to(request.user))
        .select_related("company", "owner", "source_campaign")
        .prefetch_related("score")
    )
    rows = (
        views_export.lead_export_row(lead, machine_names=False) for lead in leads.iterator(2000)
    )
    header = views_export.lead_export_header(machine_names=False)
    result = export.to_csv(header, rows, encoding="utf-8-sig")
    chosen = {"all_matching": True} if form.cleaned_data["all_matching"] else {}
    trail.record(
        trail.Action.EXPORTED,
        object_type="leads",
        changes={**chosen, "ids": form.cleaned_data["ids"], "rows": result.rows},
    )
    response = HttpResponse(result.content, content_type="text/csv; charset=utf-8")
    filename = f"leads-selected-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def bulk_job(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A bulk job's progress; htmx polls the bar until it is done."""
    job = get_visible_or_404(BulkJob.objects.defer("lead_ids"), request.user, pk)
    context = {"job": job, "Status": BulkJob.Status}
    template = "crm/bulk_job.html#progress" if request.htmx else "crm/bulk_job.html"
    return render(request, template, context)
