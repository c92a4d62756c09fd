"""Scoring rules: fit (who the lead is) and engagement (what the lead did)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm import scoring
from crm.models.activity import Activity
from crm.models.campaign import Campaign

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class ScoringRuleQuerySet(models.QuerySet["ScoringRule"]):
    def visible_to(self, user: User | AnonymousUser) -> ScoringRuleQuerySet:
        """The scoring model is shared: whoever may read it reads every rule."""
        if user.is_authenticated and user.has_perm("crm.view_scoringrule"):
            return self
        return self.none()

    def active(self) -> ScoringRuleQuerySet:
        return self.filter(is_active=True)

    def snapshot(self) -> list[scoring.Rule]:
        """The rules as the pure calculation takes them, in their order."""
        return [rule.as_rule() for rule in self.order_by("dimension", "position", "pk")]


class ScoringRule(models.Model):
    """One rule. Fit rules test the lead once; engagement rules give points for
    each matching activity, decayed by a half-life, the rule's total capped."""

    class Dimension(models.TextChoices):
        FIT = "fit", _("Fit")
        ENGAGEMENT = "engagement", _("Engagement")

    class Condition(models.TextChoices):
        # Fit: who the lead is.
        TITLE_CONTAINS = "title_contains", _("Title contains")
        DEPARTMENT_CONTAINS = "department_contains", _("Department contains")
        SIZE_BAND_IN = "size_band_in", _("Company size is one of")
        INDUSTRY_IN = "industry_in", _("Industry is one of")
        PREFECTURE_IN = "prefecture_in", _("Prefecture is one of")
        FREE_MAIL = "free_mail", _("Email is a free-mail address")
        EMAIL_DOMAIN_IN = "email_domain_in", _("Email domain is one of")
        COMPANY_DOMAIN_IN = "company_domain_in", _("Company's web domain is one of")
        # Engagement: what the lead did.
        ACTIVITY = "activity", _("Activity of a kind")

    FIT_CONDITIONS = frozenset(
        {
            Condition.TITLE_CONTAINS,
            Condition.DEPARTMENT_CONTAINS,
            Condition.SIZE_BAND_IN,
            Condition.INDUSTRY_IN,
            Condition.PREFECTURE_IN,
            Condition.FREE_MAIL,
            Condition.EMAIL_DOMAIN_IN,
            Condition.COMPANY_DOMAIN_IN,
        }
    )

    # Named in both languages, shown in the reader's (the other one when that
    # is empty): the default rules carry both, a marketer's may carry one.
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    dimension = models.CharField(
        _("score"), max_length=20, choices=Dimension.choices, default=Dimension.ENGAGEMENT
    )
    condition = models.CharField(
        _("condition"), max_length=30, choices=Condition.choices, default=Condition.ACTIVITY
    )
    # Words or codes for the condition, separated by commas (部長, 課長, Director).
    value = models.CharField(_("value"), max_length=300, blank=True)
    kind = models.CharField(
        _("activity kind"), max_length=20, choices=Activity.Kind.choices, blank=True
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("only for campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scoring_rules",
    )
    url_contains = models.CharField(_("page or link contains"), max_length=200, blank=True)
    points = models.IntegerField(_("points"))
    cap = models.PositiveIntegerField(_("at most (points)"), null=True, blank=True)
    half_life_days = models.PositiveIntegerField(_("half-life (days)"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScoringRuleQuerySet.as_manager()

    class Meta:
        ordering = ["dimension", "position", "pk"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(condition="activity") | ~Q(kind=""),
                name="scoringrule_activity_has_kind",
            ),
            models.CheckConstraint(
                condition=Q(half_life_days__isnull=True) | Q(half_life_days__gt=0),
                name="scoringrule_half_life_positive",
            ),
            models.CheckConstraint(
                condition=~Q(name_ja="") | ~Q(name_en=""), name="scoringrule_has_a_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the reader's language, else the other one."""
        return scoring.name_for_reader(self.name_ja, self.name_en)

    def as_rule(self) -> scoring.Rule:
        return scoring.Rule(
            id=self.pk,
            name=self.name,
            name_ja=self.name_ja,
            name_en=self.name_en,
            dimension=self.dimension,
            condition=self.condition,
            points=self.points,
            words=tuple(self.words),
            kind=self.kind,
            campaign_id=self.campaign_id,
            url_contains=self.url_contains,
            cap=self.cap,
            half_life_days=self.half_life_days,
        )

    @property
    def words(self) -> list[str]:
        """The condition's values, trimmed, without empty ones."""
        return [w.strip() for w in self.value.split(",") if w.strip()]


class RescoreJob(models.Model):
    """A full rescore of every lead, with its progress for the browser."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Rescoring")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Reason(models.TextChoices):
        RULES = "rules", _("Rules changed")
        NIGHTLY = "nightly", _("Nightly decay")

    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    handed_off = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written as batches finish: a running job whose heartbeat stopped (its
    # worker died) may be taken over; a live one is left alone.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0
