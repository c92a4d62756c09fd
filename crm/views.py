from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm import dedupe, merging, ratelimit, scoring, services, views_export
from crm.forms import CampaignForm, CaptureForm, CompanyMergeForm, LeadFilterForm, MergeForm
from crm.http import AuthenticatedRequest, HtmxHttpRequest
from crm.models import Activity, Campaign, Company, Consent, Lead

CAPTURE_MAX_BYTES = 16 * 1024
CAPTURE_PER_IP = ratelimit.Limit("capture-ip", "BATON_CAPTURE_PER_IP_PER_MINUTE")
CAPTURE_PER_KEY = ratelimit.Limit("capture-key", "BATON_CAPTURE_PER_KEY_PER_MINUTE")
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


@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("owner").annotate(
        lead_count=Count("sourced_leads", distinct=True)
    )
    return render(request, "crm/campaign_list.html", {"campaigns": campaigns})


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


@login_required
@permission_required("crm.change_campaign", raise_exception=True)
def campaign_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if form.is_valid():
        form.save()
        messages.success(request, _("Campaign saved."))
        return redirect(campaign)
    return render(request, "crm/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    leads = Lead.objects.visible_to(request.user).filter(source_campaign=campaign)
    stats = leads.aggregate(
        total=Count("pk", distinct=True),
        mqls=Count("pk", filter=Q(stage_changes__to_stage=Lead.Stage.MQL), distinct=True),
    )
    stats["cost_per_lead"] = campaign.cost_per(stats["total"])
    stats["cost_per_mql"] = campaign.cost_per(stats["mqls"])
    capture_url = request.build_absolute_uri(reverse("capture", args=[campaign.capture_key]))
    return render(
        request,
        "crm/campaign_detail.html",
        {
            "campaign": campaign,
            "stats": stats,
            "recent_leads": leads.select_related("score", "company")[:20],
            "capture_url": capture_url,
        },
    )


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
    # Going back to a filtered list asks for the whole page (htmx keeps no
    # snapshot of this one: it holds personal data, and its export links
    # must be those of the filters shown).
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "crm/lead_list.html#results" if fragment else "crm/lead_list.html"
    filters = views_export.list_filters(request.GET)
    response = render(
        request,
        template,
        {"form": form, "page": page, "export_filters": list(filters.lists())},
    )
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@login_required
@permission_required("crm.view_lead", raise_exception=True)
def lead_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(
        Lead.objects.visible_to(request.user).select_related(
            "score", "company", "owner", "source_campaign"
        ),
        pk=pk,
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
            "consents": lead.consents.all(),
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


@csrf_exempt  # a public endpoint posted to from other sites; it changes nothing of the user's
@require_http_methods(["GET", "POST"])
def capture(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The public capture endpoint: the hosted form (GET), a form post or JSON (POST)."""
    campaign = get_object_or_404(Campaign, capture_key=key)
    wants_json = request.content_type == "application/json"
    if request.method == "GET":
        return render(
            request, "crm/capture_form.html", {"campaign": campaign, "form": CaptureForm()}
        )
    ip = ratelimit.client_ip(request)
    retry_after = ratelimit.hit_all([(CAPTURE_PER_IP, ip), (CAPTURE_PER_KEY, key)])
    if retry_after:
        message = _("Too many submissions. Please try again in a minute.")
        response = _capture_error(request, campaign, {"__all__": [message]}, 429, wants_json)
        response["Retry-After"] = str(retry_after)
        return response
    if int(request.META.get("CONTENT_LENGTH") or 0) > CAPTURE_MAX_BYTES:
        return _capture_error(
            request, campaign, {"__all__": [_("The submission is too large.")]}, 413, wants_json
        )
    if wants_json:
        try:
            payload = json.loads(request.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _capture_error(
                request, campaign, {"__all__": [_("The body is not valid JSON.")]}, 400, True
            )
        if not isinstance(payload, dict):
            return _capture_error(
                request, campaign, {"__all__": [_("Send a JSON object.")]}, 400, True
            )
        # JSON consent is the boolean true, nothing else that looks like it.
        fields = {k: v for k, v in payload.items() if isinstance(v, str) and k != "consent"}
        if payload.get("consent") is True:
            fields["consent"] = "on"
        form = CaptureForm(fields)
    else:
        form = CaptureForm(request.POST)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return _capture_error(request, campaign, errors, 400, wants_json, form=form)
    if not form.is_spam():
        data = form.cleaned_data
        services.capture_lead(
            campaign,
            data=services.CaptureData(
                email=data["email"],
                family_name=data["family_name"],
                given_name=data["given_name"],
                company_name=data["company"],
                title=data["title"],
                phone=data["phone"],
                extra={name: data[name] for name in ("message", "visitor_id") if data[name]},
                consent=services.ConsentEvidence(
                    basis=Consent.Basis.CONSENT,
                    policy_version=settings.BATON_PRIVACY_POLICY_VERSION,
                    ip_address=ip,
                    user_agent=request.headers.get("User-Agent", ""),
                    source=f"capture:{campaign.utm_code}",
                )
                if data["consent"]
                else None,
            ),
        )
    if wants_json:
        return JsonResponse({"status": "accepted"}, status=202)
    return render(request, "crm/capture_thanks.html", {"campaign": campaign})


def _capture_error(
    request: HtmxHttpRequest,
    campaign: Campaign,
    errors: dict[str, list[str]],
    status: int,
    wants_json: bool,
    form: CaptureForm | None = None,
) -> HttpResponse:
    if wants_json:
        return JsonResponse({"errors": errors}, status=status)
    context = {
        "campaign": campaign,
        "form": form or CaptureForm(),
        "general_errors": errors.get("__all__", []),
    }
    return render(request, "crm/capture_form.html", context, status=status)


@login_required
@permission_required("crm.view_company", raise_exception=True)
def company_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.visible_to(request.user), pk=pk)
    people = (
        Lead.objects.visible_to(request.user)
        .filter(company=company)
        .select_related("score", "owner")
    )
    return render(request, "crm/company_detail.html", {"company": company, "people": people})


@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    """名寄せ: groups of probable duplicates, each with a merge form."""
    groups = dedupe.duplicate_groups(Lead.objects.visible_to(request.user))
    companies = dedupe.company_groups()
    return render(request, "crm/duplicates.html", {"groups": groups, "company_groups": companies})


@login_required
@permission_required(["crm.change_lead", "crm.view_all_leads"], raise_exception=True)
@require_http_methods(["GET", "POST"])
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


@login_required
@permission_required(["crm.change_company", "crm.change_lead"], raise_exception=True)
@require_POST
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
