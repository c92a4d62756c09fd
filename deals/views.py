"""A deal's pages: the list and its CSV, the deal page, opening a deal (from a
lead, a company or a qualified handoff) and editing it. Moves and closing
are in views_moves.py, the board in views_board.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit import trail
from crm import export, history, saved_views
from crm.models import Company, Deal, Lead, ListKey
from deals import services
from deals.filters import DealFilterForm
from deals.forms import (
    CompanyDealForm,
    DealEditForm,
    DealForm,
    LoseForm,
    MoveForm,
    ReopenForm,
    WinForm,
)
from deals.views_saved import DEAL_LIST
from handoff.models import Handoff
from web import links
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

DEALS_PER_PAGE = 50


def form_errors(request: AuthenticatedRequest, form: Any) -> None:
    for errors in form.errors.as_data().values():
        messages.error(request, " ".join(e.messages[0] for e in errors))


@require_safe
@login_required
@permission_required("crm.view_deal", raise_exception=True)
def deal_list(request: AuthenticatedRequest) -> HttpResponse:
    # The user's views and the team's (one query); with no query at all, the
    # address of their default view.
    views = saved_views.for_menu(request.user, ListKey.DEALS)
    if default := saved_views.opening(views, request.GET, htmx=bool(request.htmx)):
        return redirect(f"{reverse('deals:list')}?{default}")
    form = DealFilterForm(request.GET or None)
    # What a row shows: the lead's and the campaign's whole rows were joined
    # and read for every deal, and never shown.
    deals = form.filter(Deal.objects.visible_to(request.user)).select_related(
        "stage", "owner", "company"
    )
    page = Paginator(deals, DEALS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for deal in page.object_list:
        deal.url = links.pk_url("deals:detail", deal.pk)  # type: ignore[attr-defined]
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters.urlencode(),
        "saved": DEAL_LIST,
        "views": views,
        "current_view": request.GET.get("view", ""),
        "columns": DEAL_LIST.shown_columns(request.GET),
        "list_query": request.GET.urlencode(),
    }
    return render(request, "deals/deal_list.html", context)


EXPORT_COLUMNS = [
    gettext_lazy("ID"),
    gettext_lazy("Deal name"),
    gettext_lazy("Company"),
    gettext_lazy("Contact"),
    gettext_lazy("Stage"),
    gettext_lazy("Status"),
    gettext_lazy("Amount (JPY)"),
    gettext_lazy("Probability (%)"),
    gettext_lazy("Expected close date"),
    gettext_lazy("Next step"),
    gettext_lazy("Owner"),
    gettext_lazy("Source campaign"),
    gettext_lazy("Close date"),
    gettext_lazy("Lost reason"),
]


def export_row(deal: Deal) -> list[object]:
    return [
        deal.pk, deal.name, deal.company.name if deal.company else "", deal.lead.display_name,
        str(deal.stage), deal.get_status_display(), deal.amount, deal.probability,
        deal.expected_close_date or "", deal.next_step,
        deal.owner.get_username() if deal.owner else "",
        deal.source_campaign.name if deal.source_campaign else "", deal.close_date or "",
        str(deal.lost_reason) if deal.lost_reason else "",
    ]  # fmt: skip


@require_safe
@login_required
@permission_required("crm.export_leads", raise_exception=True)
def deal_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered deal list as CSV (UTF-8 with BOM), headed in the reader's language."""
    form = DealFilterForm(request.GET or None)
    deals = form.filter(Deal.objects.visible_to(request.user)).select_related(
        "stage", "owner", "company", "lead", "source_campaign", "lost_reason"
    )
    header = [str(label) for label in EXPORT_COLUMNS]
    rows = (export_row(deal) for deal in deals.iterator(2000))
    result = export.to_csv(header, rows, encoding="utf-8-sig")
    trail.record(trail.Action.EXPORTED, object_type="deals", changes={"rows": result.rows})
    response = HttpResponse(result.content, content_type="text/csv; charset=utf-8")
    filename = f"deals-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@login_required
@permission_required("crm.view_deal", raise_exception=True)
def deal_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(
        Deal.objects.select_related(
            "stage", "lead", "company", "owner", "source_campaign", "lost_reason"
        ),
        request.user,
        pk,
    )
    changeable = Deal.objects.changeable_by(request.user).filter(pk=deal.pk).exists()
    moves = deal.stage_changes.select_related("from_stage", "to_stage", "changed_by")
    return render(
        request,
        "deals/deal_detail.html",
        {
            "deal": deal,
            "moves": list(moves.order_by("-changed_at", "-pk")),
            "changes": history.field_changes(deal),
            "changeable": changeable,
            "move_form": MoveForm(initial={"stage": deal.stage_id, "from_stage": deal.stage_id}),
            "win_form": WinForm(
                initial={"close_date": timezone.localdate(), "amount": deal.amount}
            ),
            "lose_form": LoseForm(),
            "reopen_form": ReopenForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.add_deal", raise_exception=True)
def open_from_lead(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = get_visible_or_404(Lead.objects.select_related("company"), request.user, pk)
    initial = {"name": str(lead.company or lead.display_name)}
    form = DealForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.open_deal(lead, by=request.user, terms=form.terms())
        except services.DealRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Deal “%(deal)s” opened.") % {"deal": deal.name})
            return redirect("deals:detail", pk=deal.pk)
    return render(request, "deals/deal_open.html", {"form": form, "lead": lead})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.add_deal", raise_exception=True)
def open_from_company(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An expansion deal (or a first one) of a company, with one of its people."""
    company = get_visible_or_404(Company, request.user, pk)
    leads = Lead.objects.visible_to(request.user).filter(company=company).order_by("reading_key")
    form = CompanyDealForm(request.POST or None, leads=leads, initial={"name": company.name})
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.open_deal(
                form.cleaned_data["lead"], by=request.user, terms=form.terms(), company=company
            )
        except services.DealRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Deal “%(deal)s” opened.") % {"deal": deal.name})
            return redirect("deals:detail", pk=deal.pk)
    return render(
        request, "deals/deal_open.html", {"form": form, "company": company, "no_people": not leads}
    )


@require_POST
@login_required
@permission_required("crm.add_deal", raise_exception=True)
def open_from_handoff(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The deal of the rep's qualified handoff (the handoff page's form)."""
    handoff = get_visible_or_404(Handoff, request.user, pk)
    form = DealForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("handoff:detail", pk=pk)
    try:
        deal = services.open_deal_from_handoff(handoff, rep=request.user, terms=form.terms())
    except services.DealRefused as refused:
        messages.error(request, str(refused))
        return redirect("handoff:detail", pk=pk)
    if deal is None:
        messages.error(request, _("Qualify the lead before opening a deal."))
    else:
        messages.success(request, _("Deal “%(deal)s” opened.") % {"deal": deal.name})
    return redirect("handoff:detail", pk=pk)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.change_deal", raise_exception=True)
def deal_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(
        Deal.objects.changeable_by(request.user).select_related("stage"), request.user, pk
    )
    form = DealEditForm(request.POST or None, instance=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_deal(
                deal,
                changes=form.changes(),
                version=form.cleaned_data["version"],
                by=request.user,
            )
        except services.DealRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deals:detail", pk=deal.pk)
    return render(request, "deals/deal_edit.html", {"form": form, "deal": deal})
