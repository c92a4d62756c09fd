"""The lead list's view as it was before issue 21's second round (3cf41c4),
kept in bench/ only: bench_pages serves it at BASELINE_PATH, rendering
3cf41c4's templates, as the same-run baseline of today's view; and the
campaign list as it was before it was paged (CAMPAIGNS_BASELINE_PATH).

What it did that today's does not: model instances for the page's leads,
their companies and scores (prefetch); a template loop over the rows; the
filter form's fixed choices deep-copied for every request; a bulk form
built for its choices.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from crm import bulk, saved_views, views_export
from crm.forms import FixedChoiceField, LeadFilterForm
from crm.forms_lists import LEAD_COLUMNS, LEAD_LIST, BulkActionForm
from crm.models import Campaign, Lead, ListKey
from crm.views import LEADS_PER_PAGE, CappedPaginator
from web.http import AuthenticatedRequest

BASELINE_PATH = "/bench-baseline/leads/"
CAMPAIGNS_BASELINE_PATH = "/bench-baseline/campaigns/"
LIST_COLUMNS = (
    "family_name", "given_name", "email", "stage", "created_at", "company_id", "company__name",
)  # fmt: skip


class BaselinePaginator(CappedPaginator):
    """3cf41c4's count: Django's slice-and-count."""

    @cached_property
    def count(self) -> int:
        unordered = self.object_list.order_by()  # type: ignore[attr-defined]
        return int(unordered[: self.CAP + 1].count())


class BaselineFilterForm(LeadFilterForm):
    """The filter form with Django's ChoiceField (its choices deep-copied per form)."""


for _name, _field in LeadFilterForm.base_fields.items():
    if isinstance(_field, FixedChoiceField):
        _plain = forms.ChoiceField(
            label=_field.label,
            required=_field.required,
            choices=_field.choices,
            widget=_field.widget,
        )
        BaselineFilterForm.base_fields[_name] = _plain


@require_safe
@login_required
@permission_required("crm.view_lead", raise_exception=True)
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    views = saved_views.for_list(request.user, ListKey.LEADS)
    if not request.GET and not request.htmx and (default := saved_views.default_of(views)):
        return redirect(f"{reverse('crm:lead_list')}?{saved_views.address(default)}")
    form = BaselineFilterForm(request.GET or None)
    leads = (
        form.filter(Lead.objects.visible_to(request.user))
        .select_related("company")
        .only(*LIST_COLUMNS)
        .prefetch_related("score")
    )
    page = BaselinePaginator(leads, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "crm/lead_list.html#results" if fragment else "crm/lead_list.html"
    filters = views_export.list_filters(request.GET)
    response = render(
        request,
        f"baseline/{template}",
        {
            "form": form,
            "page": page,
            "export_filters": list(filters.lists()),
            "views": views,
            "current_view": request.GET.get("view", ""),
            "saved": LEAD_LIST,
            "columns": LEAD_LIST.shown_columns(request.GET),
            "column_choices": LEAD_COLUMNS,
            "list_query": request.GET.urlencode(),
            "bulk_form": BulkActionForm(),
            "sync_limit": bulk.SYNC_LIMIT,
        },
    )
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@require_safe
@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    """The campaign list before it was paged (3935b38): every campaign, each
    one's leads counted over the whole lead table on every visit."""
    campaigns = Campaign.objects.select_related("owner").annotate(
        lead_count=Count("sourced_leads", distinct=True)
    )
    return render(request, "baseline/crm/campaign_list.html", {"campaigns": campaigns})


# ROOT_URLCONF while bench_pages runs: the project's URLs and the baselines.
urlpatterns = [
    path(BASELINE_PATH.strip("/") + "/", lead_list, name="bench_baseline_lead_list"),
    path(CAMPAIGNS_BASELINE_PATH.strip("/") + "/", campaign_list),
    path("", include("config.urls")),
]
