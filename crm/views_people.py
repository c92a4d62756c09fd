"""Pages to add and change people and companies, and the company list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from crm import dedupe, history, lead_table, people
from crm.forms_people import CompanyForm, LeadForm
from crm.models import Activity, Company, Deal, Lead, StageChange
from crm.models.choices import Prefecture
from crm.views import CappedPaginator
from web import links
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404

COMPANIES_PER_PAGE = 50
# A company page shows its people and activities a page at a time.
PEOPLE_PER_PAGE = 50
ACTIVITIES_PER_PAGE = 20
# The lead table's columns there: the company is the page's own.
PEOPLE_COLUMNS = ("email", "stage", "fit", "engagement", "created")


def conflict_message() -> str:
    return _(
        "Someone else saved this record after you opened it. Nothing of yours was saved: "
        "the form now shows their version; make your change again."
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.edit_every_person", raise_exception=True)
def lead_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"company_name": request.GET.get("company", "")[:200]}
    form = LeadForm(request.POST or None, user=request.user, initial=initial)
    candidates: list[dedupe.Candidate] = []
    if form.is_valid():
        candidates = _lead_candidates(request, form)
        if _may_save(request, candidates):
            values = form.changes()
            try:
                lead = people.create_lead(
                    values,
                    by=request.user,
                    reason=StageChange.Reason.CREATED,
                    company_name=form.cleaned_data["company_name"],
                    overriding=[c.record.pk for c in candidates],
                )
            except IntegrityError:  # the same email saved meanwhile
                messages.error(request, _("A person with this email was saved meanwhile."))
            else:
                messages.success(request, _("%(name)s added.") % {"name": lead.display_name})
                return redirect(lead)
    return _form_page(request, "crm/lead_form.html", form=form, candidates=candidates)


@require_http_methods(["GET", "POST"])
@login_required
def lead_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Marketers and managers change anyone; a rep the leads they own or
    work; every other lead is the 404 of a missing one."""
    if not request.user.has_perm("crm.edit_every_person"):
        _require(request, "crm.change_lead")
    editable = Lead.objects.editable_by(request.user).select_related("company")
    lead = get_visible_or_404(editable, request.user, pk)
    form = LeadForm(request.POST or None, instance=lead, user=request.user)
    candidates: list[dedupe.Candidate] = []
    if form.is_valid():
        candidates = _lead_candidates(request, form, exclude=lead.pk)
        if _may_save(request, candidates):
            changes = form.changes()
            name = form.cleaned_data["company_name"]
            changes.update({"company_name": name} if name else {"company": None})
            try:
                people.update_lead(
                    lead,
                    changes=changes,
                    by=request.user,
                    seen_updated_at=form.cleaned_data["seen_updated_at"],
                    overriding=[c.record.pk for c in candidates],
                )
            except people.EditConflict:
                messages.error(request, conflict_message())
                return redirect("crm:lead_edit", pk=lead.pk)
            messages.success(request, _("Saved."))
            return redirect(lead)
    return _form_page(request, "crm/lead_form.html", form=form, candidates=candidates, lead=lead)


def _require(request: AuthenticatedRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _lead_candidates(
    request: AuthenticatedRequest, form: LeadForm, *, exclude: int | None = None
) -> list[dedupe.Candidate]:
    visible = Lead.objects.visible_to(request.user)
    values = form.changes()
    return dedupe.lead_candidates(values, company=form.company(), leads=visible, exclude=exclude)


def _may_save(request: AuthenticatedRequest, candidates: list[dedupe.Candidate]) -> bool:
    """No probable duplicate, or the person saw them and chose to save anyway
    (never beside a record that cannot be stored twice)."""
    if any(c.blocking for c in candidates):
        return False
    return not candidates or request.POST.get("save_anyway") == "on"


def _form_page(request: AuthenticatedRequest, template: str, **context: Any) -> HttpResponse:
    candidates = context.get("candidates") or []
    context["blocking"] = any(c.blocking for c in candidates)
    return render(request, template, context)


@require_safe
@login_required
@permission_required("crm.view_company", raise_exception=True)
def company_list(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    companies = Company.objects.visible_to(request.user).search(query).order_by("name", "pk")
    page = CappedPaginator(companies, COMPANIES_PER_PAGE).get_page(request.GET.get("page"))
    # The shown companies' people only: counted with the list, every
    # company's people were grouped on every page.
    counts = Lead.objects.counts_by("company", [c.pk for c in page.object_list])
    prefectures = links.choice_labels(Prefecture, get_language())
    for company in page.object_list:
        company.people_count = counts.get(company.pk, 0)  # type: ignore[attr-defined]
        company.prefecture_label = prefectures.get(company.prefecture, "")  # type: ignore[attr-defined]
    template = "crm/company_list.html#results" if request.htmx else "crm/company_list.html"
    return render(request, template, {"page": page, "q": query})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.edit_every_person", raise_exception=True)
def company_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    candidates: list[dedupe.Candidate] = []
    if form.is_valid():
        candidates = dedupe.company_candidates(form.cleaned_data)
        if _may_save(request, candidates):
            try:
                company = people.create_company(
                    form.changes(), by=request.user, overriding=[c.record.pk for c in candidates]
                )
            except IntegrityError:
                messages.error(request, _("A company of this name was saved meanwhile."))
            else:
                messages.success(request, _("%(name)s added.") % {"name": company.name})
                return redirect(company)
    return _form_page(request, "crm/company_form.html", form=form, candidates=candidates)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.edit_every_person", raise_exception=True)
def company_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_visible_or_404(Company.objects.editable_by(request.user), request.user, pk)
    form = CompanyForm(request.POST or None, instance=company)
    candidates: list[dedupe.Candidate] = []
    if form.is_valid():
        candidates = dedupe.company_candidates(form.cleaned_data, exclude=company.pk)
        if _may_save(request, candidates):
            try:
                people.update_company(
                    company,
                    changes=form.changes(),
                    by=request.user,
                    seen_updated_at=form.cleaned_data["seen_updated_at"],
                    overriding=[c.record.pk for c in candidates],
                )
            except people.EditConflict:
                messages.error(request, conflict_message())
                return redirect("crm:company_edit", pk=company.pk)
            messages.success(request, _("Saved."))
            return redirect(company)
    return _form_page(
        request, "crm/company_form.html", form=form, candidates=candidates, company=company
    )


@require_safe
@login_required
@permission_required("crm.view_company", raise_exception=True)
def company_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_visible_or_404(Company, request.user, pk)
    return render(request, "crm/company_detail.html", company_page(request, company))


def company_page(request: AuthenticatedRequest, company: Company) -> dict[str, Any]:
    """A company: its people (those the reader may see) and their latest
    activities a page at a time, their deals and handoffs, its 名寄せ key and
    its change history. The same dozen queries for a company of three people
    or of thousands (bench/bench_company_page.py)."""
    visible = Lead.objects.visible_to(request.user).filter(company=company)
    # Rows as plain values, the scores included (crm/lead_table.py).
    people_list = lead_table.row_values(visible.order_by("-created_at", "-pk"))
    activities = (
        Activity.objects.filter(lead__in=visible)
        .select_related("lead", "campaign")
        .order_by("-occurred_at", "-pk")
    )
    people_page = CappedPaginator(people_list, PEOPLE_PER_PAGE).get_page(
        request.GET.get("people_page")
    )
    people_page.object_list = lead_table.as_rows(people_page.object_list)
    context: dict[str, Any] = {
        "company": company,
        "people_page": people_page,
        "people_columns": PEOPLE_COLUMNS,
        "activities_page": CappedPaginator(activities, ACTIVITIES_PER_PAGE).get_page(
            request.GET.get("activities_page")
        ),
        "changes": history.field_changes(company),
        "may_edit": Company.objects.editable_by(request.user).filter(pk=company.pk).exists(),
    }
    if request.user.has_perm("crm.view_deal"):
        deals = Deal.objects.visible_to(request.user).filter(
            Q(company=company) | Q(lead__in=visible)
        )
        context["deals"] = deals.select_related("lead").order_by("-pk")[:50]
    if request.user.has_perm("handoff.view_handoff"):
        context["handoffs"] = _handoffs(request, visible)
    return context


def _handoffs(request: AuthenticatedRequest, visible: QuerySet[Lead]) -> QuerySet[Any]:
    """The handoffs of the company's people the reader may see, read through
    the lead's relation (handoff is an app above crm, which never imports it)."""
    lead_meta: Any = Lead._meta
    handoffs = lead_meta.get_field("handoffs").related_model.objects
    return (
        handoffs.visible_to(request.user)
        .filter(lead__in=visible)
        .select_related("lead", "claimed_by")
        .order_by("-pk")[:50]
    )
