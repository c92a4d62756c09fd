"""The lead list as a CSV file: the page's filters, the reader's column names."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from audit import trail
from crm import export
from crm.forms import LeadFilterForm
from crm.models import Lead
from web.http import AuthenticatedRequest

# What the export link adds to the list's own query string.
EXPORT_OPTIONS = ("encoding", "headers", "replace")

# Each column: its machine name and its heading for people. The headings of
# the importable columns are ones the import recognises, so an exported file
# can be imported again in either language.
LEAD_COLUMNS: list[tuple[str, Promise]] = [
    ("family_name", gettext_lazy("Family name")),
    ("given_name", gettext_lazy("Given name")),
    ("family_name_kana", gettext_lazy("Family name (kana)")),
    ("given_name_kana", gettext_lazy("Given name (kana)")),
    ("email", gettext_lazy("Email")),
    ("phone", gettext_lazy("Phone")),
    ("company", gettext_lazy("Company")),
    ("department", gettext_lazy("Department")),
    ("title", gettext_lazy("Title")),
    ("stage", gettext_lazy("Stage")),
    ("fit_score", gettext_lazy("Fit score")),
    ("engagement_score", gettext_lazy("Engagement score")),
    ("source_campaign", gettext_lazy("Source campaign")),
    ("owner", gettext_lazy("Owner")),
    ("created_at", gettext_lazy("Created at")),
]


def list_filters(query: QueryDict) -> QueryDict:
    """The lead list's filters in `query`, without its page and the export's options."""
    filters = query.copy()
    for name in ("page", *EXPORT_OPTIONS):
        filters.pop(name, None)
    return filters


def lead_export_header(*, machine_names: bool) -> list[str]:
    return [name if machine_names else str(label) for name, label in LEAD_COLUMNS]


def lead_export_row(lead: Lead, *, machine_names: bool = True) -> list[object]:
    """One lead as a row of LEAD_COLUMNS; the stage as a code for machines,
    as its name for people."""
    return [
        lead.family_name, lead.given_name, lead.family_name_kana, lead.given_name_kana, lead.email,
        lead.phone, lead.company.name if lead.company else "", lead.department, lead.title,
        lead.stage if machine_names else lead.get_stage_display(),
        lead.fit_score, lead.engagement_score,
        lead.source_campaign.name if lead.source_campaign else "",
        lead.owner.get_username() if lead.owner else "",
        timezone.localtime(lead.created_at).isoformat(timespec="seconds"),
    ]  # fmt: skip


@require_safe
@login_required
@permission_required("crm.export_leads", raise_exception=True)
def lead_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered lead list as CSV, in UTF-8 with BOM (default) or CP932,
    headed in the reader's language or (headers=names) with machine names.

    When CP932 cannot hold some characters, a page says so (and which) before
    any file is saved; `replace=yes` downloads it anyway. A warning queued for
    the next page came with an unrelated page instead of with the download."""
    encoding = request.GET.get("encoding", "utf-8-sig")
    if encoding not in export.ENCODINGS:
        return HttpResponse(_("Unknown encoding."), status=400, content_type="text/plain")
    machine_names = request.GET.get("headers") == "names"
    filters = list_filters(request.GET)
    form = LeadFilterForm(filters or None)
    leads = (
        form.filter(Lead.objects.visible_to(request.user))
        .select_related("company", "owner", "source_campaign")
        .prefetch_related("score")
    )
    rows = (lead_export_row(lead, machine_names=machine_names) for lead in leads.iterator(2000))
    result = export.to_csv(lead_export_header(machine_names=machine_names), rows, encoding=encoding)
    if result.replaced and request.GET.get("replace") != "yes":
        return _replacement_warning(request, result, filters)
    # The search text may be a person's name or email: the trail keeps only
    # that there was one (it is never rewritten when a person is erased).
    kept = {k: ("…" if k == "q" else v) for k, v in filters.items() if v}
    trail.record(
        trail.Action.EXPORTED, object_type="leads", changes={"filters": kept, "rows": result.rows}
    )
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    response = HttpResponse(result.content, content_type=f"text/csv; charset={charset}")
    filename = f"leads-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Replaced-Characters"] = str(result.replaced)
    return response


def _replacement_warning(
    request: AuthenticatedRequest, result: export.Export, filters: QueryDict
) -> HttpResponse:
    anyway, utf8 = request.GET.copy(), request.GET.copy()
    anyway["replace"] = "yes"
    utf8["encoding"] = "utf-8-sig"
    context = {
        "result": result,
        "download_anyway": anyway.urlencode(),
        "download_utf8": utf8.urlencode(),
        "back": filters.urlencode(),
    }
    return render(request, "crm/lead_export_replaced.html", context)
