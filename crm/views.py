from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit import trail
from crm import dedupe, export, services
from crm.forms import CompanyMergeForm, LeadFilterForm, MergeForm
from crm.forms_campaign import CampaignForm, TaggedLinkForm
from crm.http import AuthenticatedRequest
from crm.models import Campaign, Company, Lead
from web.scope import get_visible_or_404

LEADS_PER_PAGE = 50


class CappedPaginator(Paginator):
    """Counts at most CAP rows: an exact count over a million leads would cost
    tens of milliseconds on every page (FIELD-NOTES)."""

    CAP = 2_000

    @cached_property
    def count(self) -> int:
        # Without the list's order: any CAP + 1 matching rows will do, and
        # sorting them all first (by a score, say) was most of a page's time.
        unordered = self.object_list.order_by()  # type: ignore[attr-defined]
        return int(unordered[: self.CAP + 1].count())

    @property
    def is_capped(self) -> bool:
        return self.count > self.CAP


@require_safe
@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("owner").annotate(
        lead_count=Count("sourced_leads", distinct=True)
    )
    return render(request, "crm/campaign_list.html", {"campaigns": campaigns})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.add_campaign", raise_exception=True)
def campaign_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if form.is_valid():
        campaign = form.save(commit=False)
        campaign.owner = request.user
        campaign.save()
        messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
        return redirect(campaign)
    return render(request, "crm/campaign_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.change_campaign", raise_exception=True)
def campaign_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = get_visible_or_404(Campaign, request.user, pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if form.is_valid():
        form.save()
        messages.success(request, _("Campaign saved."))
        return redirect(campaign)
    return render(request, "crm/campaign_form.html", {"form": form, "campaign": campaign})


@require_safe
@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = get_visible_or_404(Campaign.objects.select_related("owner"), request.user, pk)
    # The tagged-link builder: a GET form that htmx refreshes in place.
    link_form = TaggedLinkForm(request.GET or None, initial=tagged_link_initial(campaign))
    link = link_form.link(campaign) if link_form.is_valid() else ""
    builder = {"campaign": campaign, "link_form": link_form, "link": link}
    if request.htmx:
        return render(request, "crm/campaign_detail.html#tagged-link", builder)
    leads = Lead.objects.visible_to(request.user)
    sourced = leads.filter(source_campaign=campaign)
    stats = sourced.aggregate(
        total=Count("pk", distinct=True),
        mqls=Count("pk", filter=Q(stage_changes__to_stage=Lead.Stage.MQL), distinct=True),
    )
    stats["cost_per_lead"] = campaign.cost_per(stats["total"])
    stats["cost_per_mql"] = campaign.cost_per(stats["mqls"])
    stats["first_touches"] = leads.first_touched_by(campaign).count()
    capture_url = request.build_absolute_uri(reverse("capture", args=[campaign.capture_key]))
    return render(
        request,
        "crm/campaign_detail.html",
        {
            **builder,
            "stats": stats,
            "recent_leads": sourced.select_related("score", "company")[:20],
            "capture_url": capture_url,
            "capture_script": request.build_absolute_uri(static("js/baton-capture.js")),
        },
    )


def tagged_link_initial(campaign: Campaign) -> dict[str, str]:
    """The builder starts from the campaign's website."""
    hosts = campaign.allowed_host_list()
    return {"base_url": f"https://{hosts[0]}/" if hosts else ""}


@require_safe
@login_required
@permission_required("crm.view_lead", raise_exception=True)
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    form = LeadFilterForm(request.GET or None)
    # Scores come in a second query for the page's leads: joined, PostgreSQL
    # would join every matching lead before sorting and cutting the page.
    leads = (
        form.filter(Lead.objects.visible_to(request.user))
        .select_related("company", "owner", "source_campaign")
        .prefetch_related("score")
    )
    page = CappedPaginator(leads, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    template = "crm/lead_list.html#results" if request.htmx else "crm/lead_list.html"
    return render(request, template, {"form": form, "page": page})


@require_safe
@login_required
@permission_required("crm.export_leads", raise_exception=True)
def lead_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered lead list as CSV, in UTF-8 with BOM (default) or CP932."""
    form = LeadFilterForm(request.GET or None)
    encoding = request.GET.get("encoding", "utf-8-sig")
    if encoding not in export.ENCODINGS:
        return HttpResponse(_("Unknown encoding."), status=400, content_type="text/plain")
    leads = (
        form.filter(Lead.objects.visible_to(request.user))
        .select_related("company", "owner", "source_campaign")
        .prefetch_related("score")
    )
    rows = (lead_export_row(lead) for lead in leads.iterator(chunk_size=2000))
    result = export.to_csv(LEAD_EXPORT_HEADER, rows, encoding=encoding)
    # The search text may be a person's name or email: the trail keeps only
    # that there was one (it is never rewritten when a person is erased).
    filters = {k: ("…" if k == "q" else v) for k, v in request.GET.items() if v}
    trail.record(
        trail.Action.EXPORTED,
        object_type="leads",
        changes={"filters": filters, "rows": result.rows},
    )
    if result.replaced:
        message = ngettext(
            "%(count)d character could not be written in Shift_JIS and was replaced by “?”.",
            "%(count)d characters could not be written in Shift_JIS and were replaced by “?”.",
            result.replaced,
        )
        messages.warning(request, message % {"count": result.replaced})
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    response = HttpResponse(result.content, content_type=f"text/csv; charset={charset}")
    filename = f"leads-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Replaced-Characters"] = str(result.replaced)
    return response


LEAD_EXPORT_HEADER = [
    "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone",
    "company", "department", "title", "stage", "fit_score", "engagement_score",
    "source_campaign", "owner", "created_at",
]  # fmt: skip


def lead_export_row(lead: Lead) -> list[object]:
    return [
        lead.family_name, lead.given_name, lead.family_name_kana, lead.given_name_kana, lead.email,
        lead.phone, lead.company.name if lead.company else "", lead.department, lead.title,
        lead.stage, lead.fit_score, lead.engagement_score,
        lead.source_campaign.name if lead.source_campaign else "",
        lead.owner.get_username() if lead.owner else "",
        timezone.localtime(lead.created_at).isoformat(timespec="seconds"),
    ]  # fmt: skip


@require_safe
@login_required
@permission_required("crm.view_lead", raise_exception=True)
def lead_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(
        Lead.objects.select_related("score", "company", "owner", "source_campaign"),
        request.user,
        pk,
    )
    activities = lead.activities.select_related("campaign", "actor")[:100]
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "activities": activities,
            "stage_changes": lead.stage_changes.select_related("changed_by"),
            "answers": lead.answers.select_related("recorded_by"),
            "explanation": services.explain_lead(lead),
            "consents": lead.consents.all(),
        },
    )


@require_safe
@login_required
@permission_required("crm.view_company", raise_exception=True)
def company_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_visible_or_404(Company, request.user, pk)
    people = (
        Lead.objects.visible_to(request.user)
        .filter(company=company)
        .select_related("score", "owner")
    )
    return render(request, "crm/company_detail.html", {"company": company, "people": people})


@require_safe
@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    """名寄せ: groups of probable duplicates, each with a merge form."""
    groups = dedupe.duplicate_groups(Lead.objects.visible_to(request.user))
    companies = dedupe.company_groups()
    return render(request, "crm/duplicates.html", {"groups": groups, "company_groups": companies})


@require_POST
@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
def merge(request: AuthenticatedRequest) -> HttpResponse:
    """Merge the chosen leads into the one to keep."""
    form = MergeForm(request.POST, leads=Lead.objects.visible_to(request.user))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("crm:duplicates")
    keep = form.cleaned_data["keep"]
    try:
        for other in form.cleaned_data["others"]:
            keep = services.merge_leads(keep, other, by=request.user)
    except services.MergeConflict as exc:
        messages.error(request, _("Not merged: %(reason)s") % {"reason": exc})
        return redirect("crm:duplicates")
    messages.success(request, _("Merged into %(lead)s.") % {"lead": keep.display_name})
    return redirect(keep)


@require_POST
@login_required
@permission_required(["crm.change_company", "crm.change_lead"], raise_exception=True)
def merge_companies(request: AuthenticatedRequest) -> HttpResponse:
    """Merge the chosen companies into the one to keep."""
    form = CompanyMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("crm:duplicates")
    keep = form.cleaned_data["keep"]
    for other in form.cleaned_data["others"]:
        keep = services.merge_companies(keep, other)
    messages.success(request, _("Merged into %(company)s.") % {"company": keep.name})
    return redirect(keep)
