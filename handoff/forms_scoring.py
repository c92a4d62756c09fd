from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import ScoringRule

ENGAGEMENT_FIELDS = ("kind", "campaign", "url_contains", "cap", "half_life_days")
NEEDS_VALUE = {
    "title_contains",
    "department_contains",
    "size_band_in",
    "industry_in",
    "prefecture_in",
    "email_domain_in",
    "company_domain_in",
}


def fields_by_condition() -> dict[str, list[str]]:
    """The fields that matter for each condition (the page shows only those)."""
    shown = {}
    for condition in ScoringRule.Condition.values:
        if condition == ScoringRule.Condition.ACTIVITY:
            shown[condition] = list(ENGAGEMENT_FIELDS)
        else:
            shown[condition] = ["value"] if condition in NEEDS_VALUE else []
    return shown


class ScoringRuleForm(forms.ModelForm[ScoringRule]):
    class Meta:
        model = ScoringRule
        fields = [
            "name_ja", "name_en", "dimension", "condition", "value", "kind", "campaign",
            "url_contains", "points", "cap", "half_life_days", "is_active",
        ]  # fmt: skip
        help_texts = {
            "name_en": _(
                "Each reader sees the name in their language; the other one if it is empty."
            ),
            "value": _(
                "Words or codes separated by commas, e.g. 部長, 課長, Director or 300-999, 1000+."
            ),
            "points": _("Negative points lower the score (unsubscribed, bounced, a competitor)."),
            "cap": _("The most this rule can add (or take away) in total; empty for no limit."),
            "half_life_days": _(
                "Engagement fades: after this many days half of the points are left."
            ),
        }

    def clean_half_life_days(self) -> int | None:
        # Checked here, in words: the database's check would name its constraint.
        days: int | None = self.cleaned_data.get("half_life_days")
        if days is not None and days < 1:
            raise forms.ValidationError(
                _("A half-life is at least one day; leave it empty for no decay.")
            )
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name_ja") or "").strip() and not (data.get("name_en") or "").strip():
            # Checked here, in words: the database's check would name its constraint.
            self.add_error("name_ja", _("Name the rule in Japanese, in English or both."))
        dimension, condition = data.get("dimension"), data.get("condition")
        is_fit_condition = condition in ScoringRule.FIT_CONDITIONS
        if dimension == ScoringRule.Dimension.FIT and not is_fit_condition:
            self.add_error(
                "condition", _("A fit rule tests who the lead is: choose a fit condition.")
            )
        if (
            dimension == ScoringRule.Dimension.ENGAGEMENT
            and condition != ScoringRule.Condition.ACTIVITY
        ):
            self.add_error("condition", _("An engagement rule counts activities."))
        if condition == ScoringRule.Condition.ACTIVITY and not data.get("kind"):
            self.add_error("kind", _("Choose the kind of activity this rule counts."))
        if condition in NEEDS_VALUE and not (data.get("value") or "").strip():
            self.add_error("value", _("This condition needs at least one word or code."))
        if data.get("points") == 0:
            self.add_error("points", _("A rule of 0 points changes nothing."))
        # Fields of another condition, typed before the condition changed, are
        # hidden on the page: they must not be saved unseen.
        relevant = set(fields_by_condition().get(condition or "", []))
        blanks = {"campaign": None, "cap": None, "half_life_days": None}
        for name in ("value", *ENGAGEMENT_FIELDS):
            if name not in relevant and name in data:
                data[name] = blanks.get(name, "")
                setattr(self.instance, name, data[name])
        return data
