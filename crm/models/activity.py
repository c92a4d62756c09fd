"""What happened to a lead: activities, question-ledger answers, scoring rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm import scoring
from crm.models.campaign import Campaign
from crm.models.people import Lead

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class ActivityQuerySet(models.QuerySet["Activity"]):
    def visible_to(self, user: User | AnonymousUser) -> ActivityQuerySet:
        """The activities of the leads the user may see."""
        return self.filter(lead__in=Lead.objects.visible_to(user))


class Activity(models.Model):
    class Kind(models.TextChoices):
        FORM_SUBMIT = "form_submit", _("Form submitted")
        PAGE_VIEW = "page_view", _("Page viewed")
        EMAIL_OPEN = "email_open", _("Email opened")
        EMAIL_CLICK = "email_click", _("Email link clicked")
        DOWNLOAD = "download", _("Downloaded")
        WEBINAR = "webinar", _("Attended a webinar")
        EVENT_VISIT = "event_visit", _("Visited an event")
        CALL = "call", _("Call")
        SALES_EMAIL = "sales_email", _("Sales email")
        MEETING = "meeting", _("Meeting")
        NOTE = "note", _("Note")
        CARD_EXCHANGE = "card_exchange", _("Business card exchanged")
        IMPORTED = "imported", _("Imported from a list")
        # The person followed the link of a capture's confirmation email.
        CONFIRMED = "confirmed", _("Confirmed by email")
        # Added to a campaign from the lead list (a bulk action).
        CAMPAIGN_ADDED = "campaign_added", _("Added to a campaign")

    class Channel(models.TextChoices):
        """How the activity reached Baton (not who performed it: see performed_by_rep)."""

        APP = "app", _("recorded in Baton")
        API = "api", _("through the API")
        IMPORT = "import", _("imported from a list")
        CAPTURE = "capture", _("through a capture form")
        TRACKING = "tracking", _("tracked (email or website)")

    SALES_KINDS = frozenset({Kind.CALL, Kind.SALES_EMAIL, Kind.MEETING, Kind.NOTE})

    # No index of its own: activity_lead_timeline_idx starts with lead_id.
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    # The user who recorded it: the rep for a sales touch logged in Baton, the
    # owner of the API token or the importer otherwise. Who performed it is
    # the rep for a sales touch and the person (the lead) for anything else.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # "" when the code that recorded it did not say (rows from before the
    # column that nothing could tell apart, or a path that forgot).
    channel = models.CharField(
        _("arrived"), max_length=10, choices=Channel.choices, blank=True, default="", db_default=""
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Set by the sender to make ingest idempotent: the same event twice is one
    # row (activity_external_id_unique). NULL, not "", when there is none, so
    # that the activities without one do not collide.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # Written once by the scoring task: its conditional update is the ledger that
    # makes scoring the same activity twice a no-op.
    points = models.IntegerField(default=0)
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The lead page's timeline, newest first; also every lookup by lead
            # (scoring, cascades), so lead_id has no index of its own.
            models.Index(fields=["lead", "-occurred_at"], name="activity_lead_timeline_idx"),
        ]
        constraints = [
            # Idempotent ingest by external id. A constraint rather than
            # unique=True, which would add a second (LIKE) index that no query
            # uses and every insert of ten million rows would pay for.
            models.UniqueConstraint(fields=["external_id"], name="activity_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.lead_id})"

    def scoring_facts(self) -> scoring.ActivityFacts:
        details = self.details if isinstance(self.details, dict) else {}
        return scoring.ActivityFacts(
            id=self.pk,
            kind=self.kind,
            occurred_at=self.occurred_at,
            campaign_id=self.campaign_id,
            url=str(details.get("url", "")),
        )

    @property
    def is_sales_touch(self) -> bool:
        return self.kind in self.SALES_KINDS

    @property
    def performed_by_rep(self) -> bool:
        """True when a Baton user (the actor) did this, as a rep logs a call;
        otherwise the person did it, whoever's token or import recorded it."""
        return self.is_sales_touch and self.actor_id is not None


class Answer(models.Model):
    """The question ledger (hearing sheet): what the customer already told us,
    so that nobody asks twice."""

    class Question(models.TextChoices):
        BUDGET = "budget", _("Budget")
        AUTHORITY = "authority", _("Decision authority")
        NEED = "need", _("Need")
        TIMELINE = "timeline", pgettext_lazy("hearing-sheet question", "Timeline")
        CURRENT_TOOL = "current_tool", _("Current tool")
        HEADCOUNT = "headcount", _("Headcount")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        EVENT = "event", _("Event")
        IMPORT = "import", _("Import")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(_("question"), max_length=20, choices=Question.choices)
    # The question as the customer read it, when it was worded by a
    # campaign's form (a free question, or a standard one reworded); "" for
    # the ledger's own wording.
    asked = models.CharField(
        _("question asked"), max_length=300, blank=True, default="", db_default=""
    )
    answer = models.TextField(_("answer"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Set by an import, derived from the row (person, question, answer): the
    # same file imported again adds nothing (answer_external_id_unique). NULL,
    # not "", for answers recorded otherwise.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["question", "-recorded_at"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            # The lead page and the handoff context: a lead's answers by question.
            models.Index(fields=["lead", "question"], name="answer_lead_question_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="answer_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.answer[:40]}"

    @property
    def question_text(self) -> str:
        """The question as it was asked, else the ledger's name for it."""
        return self.asked or str(self.get_question_display())
