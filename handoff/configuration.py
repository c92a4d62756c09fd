"""Changes to the handoff policy and the scoring rules, each kept in the audit
trail with what changed (codes and ids; the audit page renders them)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from audit import trail
from crm import services as crm
from crm.models import RescoreJob, ScoringRule
from handoff.forms import PolicyForm
from handoff.forms_scoring import ScoringRuleForm
from handoff.models import HandoffPolicy

POLICY_FIELDS = tuple(PolicyForm.Meta.fields)
RULE_FIELDS = tuple(ScoringRuleForm.Meta.fields)


def _policy_snapshot(policy: HandoffPolicy) -> dict[str, object]:
    values = trail.snapshot(policy, POLICY_FIELDS)
    values["chat_webhook_url"] = trail.masked_url(policy.chat_webhook_url)
    return values


@transaction.atomic
def update_policy(form: PolicyForm, *, by: User) -> HandoffPolicy:
    """Save a valid policy form and keep the change in the audit trail."""
    before = _policy_snapshot(HandoffPolicy.objects.select_for_update().get(pk=form.instance.pk))
    policy = form.save()
    trail.record_configuration(policy, before=before, after=_policy_snapshot(policy), actor=by)
    return policy


@transaction.atomic
def save_scoring_rule(form: ScoringRuleForm, *, by: User) -> ScoringRule:
    """Save a valid rule form (a new rule goes last), rescore everyone, and
    keep the change in the audit trail."""
    rule = form.save(commit=False)
    before = None
    if rule.pk is not None:
        before = trail.snapshot(ScoringRule.objects.get(pk=rule.pk), RULE_FIELDS)
    else:
        rule.position = ScoringRule.objects.filter(dimension=rule.dimension).count()
    rule.save()
    trail.record_configuration(
        rule, before=before, after=trail.snapshot(rule, RULE_FIELDS), actor=by
    )
    crm.request_rescore(reason=RescoreJob.Reason.RULES, by=by)
    return rule


@transaction.atomic
def toggle_scoring_rule(pk: int, *, by: User) -> bool:
    """Turn a rule on or off and rescore everyone; False when there is no such rule."""
    updated = ScoringRule.objects.filter(pk=pk).update(is_active=~F("is_active"))
    if not updated:
        return False
    rule = ScoringRule.objects.get(pk=pk)
    trail.record_configuration(
        rule,
        before={"is_active": not rule.is_active},
        after={"is_active": rule.is_active},
        actor=by,
    )
    crm.request_rescore(reason=RescoreJob.Reason.RULES, by=by)
    return True
