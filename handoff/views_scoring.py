"""Scoring rules in the browser: list, edit with a preview, disable, reorder,
and the rescore's progress. Here, not in crm, because the preview counts MQLs
against the handoff policy's thresholds."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit import trail
from crm.models import RescoreJob, ScoringRule
from handoff import configuration
from handoff.forms_scoring import ScoringRuleForm, fields_by_condition
from handoff.models import HandoffPolicy
from handoff.preview import preview_rules, rules_with
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


@require_safe
@login_required
@permission_required("crm.view_scoringrule", raise_exception=True)
def rules(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "fit_rules": ScoringRule.objects.filter(dimension="fit").select_related("campaign"),
        "engagement_rules": ScoringRule.objects.filter(dimension="engagement").select_related(
            "campaign"
        ),
        "policy": HandoffPolicy.current(),
        "job": RescoreJob.objects.first(),
    }
    return render(request, "handoff/scoring_rules.html", context)


@require_safe
@login_required
@permission_required("crm.view_scoringrule", raise_exception=True)
def rescore_progress(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "handoff/scoring_rules.html#progress", {"job": RescoreJob.objects.first()}
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(["crm.change_scoringrule", "crm.add_scoringrule"], raise_exception=True)
def rule_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """Edit (or create) a rule; "Preview" shows what it would do, "Save" saves
    it and rescores everyone."""
    rule = get_visible_or_404(ScoringRule, request.user, pk) if pk else None
    form = ScoringRuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = preview_rules(rules_with(form.instance))
        else:
            configuration.save_scoring_rule(form, by=request.user)
            messages.success(request, _("Rule saved. Every lead is being rescored."))
            return redirect("handoff:scoring_rules")
    context = {
        "form": form,
        "rule": rule,
        "preview": preview,
        "fields_by_condition": fields_by_condition(),
    }
    return render(request, "handoff/scoring_rule_form.html", context)


@require_POST
@login_required
@permission_required("crm.change_scoringrule", raise_exception=True)
def rule_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_visible_or_404(ScoringRule, request.user, pk)
    configuration.toggle_scoring_rule(rule.pk, by=request.user)
    return redirect("handoff:scoring_rules")


@require_POST
@login_required
@permission_required("crm.change_scoringrule", raise_exception=True)
def rule_move(request: AuthenticatedRequest, pk: int, direction: str) -> HttpResponse:
    """Swap the rule with its neighbour (the order is for reading; scores do not depend on it)."""
    if direction not in ("up", "down"):
        raise Http404
    with transaction.atomic():
        rule = get_visible_or_404(ScoringRule.objects.select_for_update(), request.user, pk)
        siblings = list(ScoringRule.objects.filter(dimension=rule.dimension).select_for_update())
        index = next(i for i, r in enumerate(siblings) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
            for position, sibling in enumerate(siblings):
                sibling.position = position
            ScoringRule.objects.bulk_update(siblings, ["position"])
            trail.record_configuration(
                rule,
                before={"position": index + 1},
                after={"position": other + 1},
                actor=request.user,
            )
    return redirect("handoff:scoring_rules")
