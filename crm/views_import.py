"""The import screens: upload, map columns, dry run, run with progress, rejected rows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit import trail
from crm.forms import ImportMappingForm, ImportUploadForm
from crm.imports import jobs, reading
from crm.models import ImportJob
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

PERMISSION = "crm.add_lead"


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > reading.MAX_BYTES:
            form.add_error("file", _("The file is larger than 25 MB."))
        else:
            try:
                job = jobs.create_job(
                    upload.read(),
                    filename=upload.name,
                    user=request.user,
                    campaign=form.cleaned_data["campaign"],
                    kind=form.cleaned_data["kind"],
                    consent_basis=form.cleaned_data["consent_basis"],
                )
            except reading.UnreadableFile as exc:
                form.add_error("file", str(exc))
            else:
                return redirect(job)
    recent = ImportJob.objects.defer("content", "rejections").select_related(
        "campaign", "created_by"
    )[:20]
    return render(request, "crm/import_list.html", {"form": form, "jobs": recent})


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(
        ImportJob.objects.defer("content").select_related("campaign"), request.user, pk
    )
    form = ImportMappingForm(headers=job.headers, initial_mapping=job.mapping)
    sample = jobs.rejections(job, limit=20)
    context = {"job": job, "form": form, "sample": sample, "Status": ImportJob.Status}
    template = "crm/import_detail.html#progress" if request.htmx else "crm/import_detail.html"
    return render(request, template, context)


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The dry run with the chosen columns."""
    job = get_visible_or_404(
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED]
        ),
        request.user,
        pk,
    )
    form = ImportMappingForm(request.POST, headers=job.headers, initial_mapping=job.mapping)
    if not form.is_valid():
        context = {"job": job, "form": form, "sample": [], "Status": ImportJob.Status}
        return render(request, "crm/import_detail.html", context, status=400)
    jobs.preview(job, columns=form.columns())
    return redirect(job)


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.defer("content"), request.user, pk)
    if not jobs.start(job):
        messages.warning(request, _("This import has already been started."))
    return redirect(job)


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_rejections(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.defer("content"), request.user, pk)
    content = jobs.rejected_rows_csv(job, machine_names=request.GET.get("headers") == "names")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    trail.record(trail.Action.EXPORTED, job, summary="rejected rows")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{job.pk}.csv"'
    return response
