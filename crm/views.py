from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm import (
    bulk,
    dedupe,
    history,
    lead_table,
    merging,
    saved_views,
    scoring,
    services,
    views_export,
)
from crm.forms import CompanyMergeForm, LeadFilterForm, MergeForm
from crm.forms_campaign import CampaignForm, TaggedLinkForm
from crm.forms_lists import LEAD_COLUMNS, LEAD_LIST, BulkActionForm
from crm.models import Activity, Campaign, Lead, ListKey
from web import links
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

LEADS_PER_PAGE = 50
CAMPAIGNS_PER_PAGE = 50
# The filters under "More filters" (open when one is set) and every filter
# (the empty list then says "no match" rather than "no leads yet").
MORE_FILTERS = (
    "owner", "industry", "size_band", "prefecture", "activity_kind", "active_from", "active_to",
    "consent", "min_fit", "min_engagement", "created_from", "created_to",
)  # fmt: skip
ALL_FILTERS = ("q", "stage", "campaign", *MORE_FILTERS)


class CappedPaginator(Paginator):
    """Counts at most CAP rows: an exact count over a million leads would cost
    tens of milliseconds on every page (FIELD-NOTES)."""

    CAP = 2_000

    @cached_property
    def count(self) -> int:
        # Without the list's order: any CAP + 1 matching rows will do, and
        # sorting them all first (by a score, say) was most of a page's time.
        # Their ids counted by the statement Django's slice-and-count would
        # give, without its aggregation machinery: a fifth of the count's
        # Python on the lead list.
        ids = self.object_list.order_by().values_list("pk")  # type: ignore[attr-defined]
        sql, params = ids.query.sql_with_params()
        with connections[ids.db].cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM ({sql} LIMIT %s) capped",  # nosec B608  # the ORM's own SQL
                [*params, self.CAP + 1],
            )
            (count,) = cursor.fetchone()
        return int(count)

    @property
    def is_capped(self) -> bool:
        return self.count > self.CAP


@require_safe
@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(Campaign.objects.select_related("owner"), CAMPAIGNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # The shown campaigns' leads only: counting every campaign's leads on
    # every visit grew with the lead table (bench/README.md, "Lists that grew
    # with the data").
    counts = Lead.objects.counts_by("source_campaign", [c.pk for c in page.object_list])
    channels = links.choice_labels(Campaign.Channel, get_language())
    for campaign in page.object_list:
        campaign.lead_count = counts.get(campaign.pk, 0)  # type: ignore[attr-defined]
        campaign.channel_label = channels.get(campaign.channel, campaign.channel)  # type: ignore[attr-defined]
    return render(request, "crm/campaign_list.html", {"page": page})


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
    # The user's views and the team's (one query); with no query at all, the
    # address of their default view.
    views = saved_views.for_menu(request.user, ListKey.LEADS)
    if default := saved_views.opening(views, request.GET, htmx=bool(request.htmx)):
        return redirect(f"{reverse('crm:lead_list')}?{default}")
    form = LeadFilterForm(request.GET or None)
    # What a row shows and nothing else (not the 600-character search key),
    # as plain values, the scores included (crm/lead_table.py).
    leads = form.filter(Lead.objects.visible_to(request.user))
    page = CappedPaginator(lead_table.row_values(leads), LEADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = lead_table.as_rows(page.object_list)
    # Going back to a filtered list asks for the whole page (htmx keeps no
    # snapshot of this one: it holds personal data, and its export links
    # must be those of the filters shown).
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "crm/lead_list.html#results" if fragment else "crm/lead_list.html"
    filters = views_export.list_filters(request.GET)
    response = render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "export_filters": list(filters.lists()),
            "views": views,
            "current_view": request.GET.get("view", ""),
            "saved": LEAD_LIST,
            "more_filters": any(request.GET.get(name) for name in MORE_FILTERS),
            "filtered": any(request.GET.get(name) for name in ALL_FILTERS),
            "columns": LEAD_LIST.shown_columns(request.GET),
            "column_choices": LEAD_COLUMNS,
            "list_query": request.GET.urlencode(),
            # The bulk form's choices, without building a form for them.
            "bulk_actions": BulkActionForm.base_fields["action"].choices,  # type: ignore[attr-defined]
            "bulk_stages": BulkActionForm.base_fields["to_stage"].choices,  # type: ignore[attr-defined]
            "sync_limit": bulk.SYNC_LIMIT,
        },
    )
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


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
    explanation = services.explain_scores(lead)
    by_activity = explanation.by_activity()
    timeline = [TimelineEntry(a, by_activity.get(a.pk, [])) for a in activities]
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "timeline": timeline,
            "stage_changes": lead.stage_changes.select_related("changed_by"),
            "answers": lead.answers.select_related("recorded_by"),
            "explanation": explanation,
            "consents": lead.consents.select_related("recorded_by", "import_job").defer(
                "import_job__content", "import_job__rejections"
            ),
            "changes": history.field_changes(lead),
            "may_edit": Lead.objects.editable_by(request.user).filter(pk=lead.pk).exists(),
        },
    )


@dataclass
class TimelineEntry:
    """An activity and what the lead's score counts of it, rule by rule."""

    activity: Activity
    points: list[scoring.ActivityPoints]

    @property
    def total(self) -> float:
        return sum(p.counted for p in self.points)


@require_safe
@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    """名寄せ: groups of probable duplicates, each with a merge form."""
    groups = dedupe.duplicate_groups(Lead.objects.visible_to(request.user))
    companies = dedupe.company_groups()
    return render(request, "crm/duplicates.html", {"groups": groups, "company_groups": companies})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
def merge(request: AuthenticatedRequest) -> HttpResponse:
    """GET: what merging the chosen leads will keep, to confirm; POST: merge
    them into the one to keep, all of them or none."""
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data, leads=Lead.objects.visible_to(request.user))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("crm:duplicates")
    keep, others = form.cleaned_data["keep"], form.cleaned_data["others"]
    if request.method == "GET":
        preview = merging.preview_merge(keep, others=others)
        return render(request, "crm/merge_confirm.html", {"preview": preview})
    try:
        keep = merging.merge_people(keep, others=others, by=request.user)
    except merging.MergeConflict as exc:
        messages.error(request, _("Not merged: %(reason)s") % {"reason": exc})
        return redirect("crm:duplicates")
    message = ngettext(
        "%(count)d lead merged into %(lead)s.", "%(count)d leads merged into %(lead)s.", len(others)
    )
    messages.success(request, message % {"count": len(others), "lead": keep.display_name})
    return redirect(keep)


@require_POST
@login_required
@permission_required(["crm.change_company", "crm.change_lead"], raise_exception=True)
def merge_companies(request: AuthenticatedRequest) -> HttpResponse:
    """Merge the chosen companies into the one to keep, all of them or none."""
    form = CompanyMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("crm:duplicates")
    try:
        keep = merging.merge_companies(
            form.cleaned_data["keep"], others=form.cleaned_data["others"]
        )
    except merging.MergeConflict as exc:
        messages.error(request, _("Not merged: %(reason)s") % {"reason": exc})
        return redirect("crm:duplicates")
    messages.success(request, _("Merged into %(company)s.") % {"company": keep.name})
    return redirect(keep)
