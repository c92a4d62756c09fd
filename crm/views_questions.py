"""The questions of a campaign's capture form (they feed the question ledger)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.forms_campaign import FormQuestionFormSet
from crm.models import Campaign
from web.http import AuthenticatedRequest
from web.scope import get_visible_or_404


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("crm.change_campaign", raise_exception=True)
def campaign_questions(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add, reword, reorder and remove the form's questions, all at once."""
    campaign = get_visible_or_404(Campaign, request.user, pk)
    formset = FormQuestionFormSet(request.POST or None, instance=campaign, prefix="questions")
    if request.method == "POST" and formset.is_valid():
        try:
            with transaction.atomic():
                formset.save()
        except IntegrityError:  # another marketer added the same question meanwhile
            formset._non_form_errors = formset.error_class(  # type: ignore[attr-defined]
                [_("Someone changed these questions meanwhile. Reload the page and try again.")]
            )
        else:
            messages.success(request, _("The form's questions are saved."))
            return redirect(campaign)
    return render(
        request, "crm/campaign_questions.html", {"campaign": campaign, "formset": formset}
    )
