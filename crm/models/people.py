"""The people marketing knows, and their scores."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm import normalize, person_names, scoring
from crm.models.campaign import Campaign
from crm.models.choices import Prefecture

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


from crm.models.company import Company
from crm.models.derived import DERIVED_FROM, DERIVED_LEAD_COLUMNS, derived_lead_columns
from web import links

# A company search broader than this is not what anyone is looking for.
MAX_COMPANY_MATCHES = 500


class LeadQuerySet(models.QuerySet["Lead"]):
    def counts_by(self, field: str, ids: list[int]) -> dict[int, int]:
        """How many of these leads each of `ids` has through the foreign key
        `field` (a list page's rows: counted for the rows shown only, by the
        key's index, never for the whole table)."""
        rows = self.filter(**{f"{field}__in": ids}).order_by().values_list(field)
        return dict(rows.annotate(n=models.Count("pk")))

    def visible_to(self, user: User | AnonymousUser) -> LeadQuerySet:
        """Marketers and managers see every lead; a rep sees the leads waiting
        for sales (MQL, not yet owned) and their own."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("crm.view_all_leads"):
            return self
        if user.has_perm("crm.view_lead"):
            return self.filter(Q(owner=user) | Q(stage=Lead.Stage.MQL, owner__isnull=True))
        return self.none()

    def changeable_by(self, user: User | AnonymousUser) -> LeadQuerySet:
        """Leads whose recorded details `user` may change: marketers every
        lead, a rep the leads they own; managers and visitors none."""
        if not (user.is_authenticated and user.has_perm("crm.change_lead")):
            return self.none()
        if user.has_perm("crm.view_all_leads"):
            return self
        return self.filter(owner=user)

    def editable_by(self, user: User | AnonymousUser) -> LeadQuerySet:
        """People whose details `user` may change on their page: marketers
        and managers every one; a rep the leads they own or work (a handoff
        they hold, claimed, accepted or qualified)."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("crm.edit_every_person"):
            return self
        if user.has_perm("crm.change_lead"):
            worked = Q(
                handoffs__claimed_by=user, handoffs__status__in=["claimed", "accepted", "qualified"]
            )
            return self.filter(Q(owner=user) | worked).distinct()
        return self.none()

    def with_email(self, email: str) -> LeadQuerySet:
        """The lead with this email, whatever its case: see with_emails."""
        return self.with_emails([email])

    def with_emails(self, emails: Iterable[str]) -> LeadQuerySet:
        """Leads with these emails, whatever their case, each row carrying its
        email key as `email_ci`.

        The filter is `LOWER(email) IN (keys)`, the very expression of the
        unique index lead_email_unique_ci, so PostgreSQL reads the index: one
        lead in a million costs what one in a thousand does. `email__iexact`
        compares `UPPER(email)` and reads every lead instead. Stored emails
        are already keys (crm.normalize.email_key), so LOWER() leaves them as
        they are.
        """
        keys = sorted({normalize.email_key(email) for email in emails})
        return self.annotate(email_ci=Lower("email")).filter(email_ci__in=keys)

    def first_touched_by(self, campaign: Campaign) -> LeadQuerySet:
        """Leads whose first touch (crm/attribution.py) was this campaign."""
        return self.filter(touches__campaign=campaign, touches__position="first")

    def with_marketing_consent(self, *, bases: Collection[str] | None = None) -> LeadQuerySet:
        """Leads that may receive marketing email: at least one consent on
        record and not withdrawn (an unsubscribe withdraws them all); only
        consents of `bases` count when given (a segment's choice)."""
        from crm.models.lifecycle import Consent  # the consents point at leads

        live = Consent.objects.filter(lead=models.OuterRef("pk"), withdrawn_at__isnull=True)
        if bases is not None:
            live = live.filter(basis__in=list(bases))
        return self.filter(models.Exists(live))

    def reachable_by_basis(self, bases: Collection[str]) -> dict[str, int]:
        """How many of these leads each basis alone lets a send reach (a lead
        with two bases counts under both): one query."""
        from crm.models.lifecycle import Consent

        def live(basis: str) -> models.Exists:
            return models.Exists(
                Consent.objects.filter(
                    lead=models.OuterRef("pk"), withdrawn_at__isnull=True, basis=basis
                )
            )

        counts = self.order_by().aggregate(
            **{basis: models.Count("pk", filter=live(basis)) for basis in bases}
        )
        return {basis: counts[basis] for basis in bases}

    def without_marketing_consent(self) -> LeadQuerySet:
        from crm.models.lifecycle import Consent

        live = Consent.objects.filter(lead=models.OuterRef("pk"), withdrawn_at__isnull=True)
        return self.exclude(models.Exists(live))

    def search(self, text: str) -> LeadQuerySet:
        """Kanji or kana name, email, company or phone digits.

        Three or more characters match anywhere in the lead's search key (one
        trigram index on PostgreSQL); one or two match the start of the family
        name, the reading or the email, since no trigram can serve them. Kana
        are folded on both sides (crm/kana.py): やまぐち finds ヤマグチ and ﾔﾏｸﾞﾁ.
        """
        branches = self.search_branches(text)
        if branches is None:
            return self
        match = Q()
        for branch in branches:
            match |= branch
        return self.filter(match)

    def search_by_reading(self, text: str) -> LeadQuerySet:
        """`search(text)` sorted by reading (五十音順), then by id.

        A search by name, reading or email alone (three or more characters,
        no company, number or former address found) of leads nothing else
        narrows (a marketer's or manager's list without filters) is matched
        and sorted in the narrow, partitioned copy of the readings
        (LeadReading), which reads the people found there and the fifty
        shown here only. Any other search sorts the leads it found in
        crm_lead: joined to the copy, a rep's scope or a filter made
        PostgreSQL read every lead it allowed (a rep's さとう at 1M leads:
        0.43 s against 0.23 s). Walking the reading index instead read
        350,000 rows for サトウ (6 s at 1M leads, machine overloaded).
        """
        branches = self.search_branches(text)
        key = normalize.search_key(text)
        if not self.query.where and branches == [Q(search_text__contains=key)]:
            found = self.filter(reading__search_text__contains=key)
            return found.order_by("reading__reading_key", "pk")
        return self.search(text).order_by(Concat("reading_key", Value("")), "pk")

    @classmethod
    def search_branches(cls, text: str, *, company_ids: list[int] | None = None) -> list[Q] | None:
        """The conditions of `search`, one per index that serves it (None for
        a text with nothing to search by). The lead list ORs them; the global
        search (crm/search.py) caps each one on its own, so every branch stops
        at its first few rows, and passes the companies it has already found."""
        key = normalize.search_key(text)
        if not key:
            return None
        if len(key) < 3:
            short = normalize.nfkc(text).replace(" ", "")
            branches = [
                Q(family_name__startswith=short),
                Q(reading_key__startswith=key),
                Q(email__startswith=short.casefold()),
            ]
            companies = Company.objects.filter(key__startswith=normalize.company_key(text) or key)
        else:
            branches = [Q(search_text__contains=key)]
            companies = Company.objects.filter(key__contains=normalize.company_key(text) or key)
        # The matching companies first, as a list: against a literal IN list
        # PostgreSQL can OR the lead's indexes together (a subquery would make
        # it filter every lead in date order instead).
        if company_ids is None:
            company_ids = list(companies.values_list("pk", flat=True)[:MAX_COMPANY_MATCHES])
        if company_ids:
            branches.append(Q(company_id__in=company_ids))
        if len(digits := normalize.phone_digits(text)) >= 4:
            branches += [Q(phone_digits__contains=digits), Q(other_phone_digits__contains=digits)]
        if merged := cls._merged_matching(text, digits):
            branches.append(Q(pk__in=merged))
        return branches

    @staticmethod
    def _merged_matching(text: str, digits: str) -> list[int]:
        """Leads that people merged into them were found by: an email address
        or phone number they no longer hold (crm.merging). A small table, read
        only when the search looks like an address or a number."""
        from crm.models.aliases import LeadAlias  # defined after Lead, on top of it

        wanted = Q()
        if "@" in text:
            wanted |= Q(kind=LeadAlias.Kind.EMAIL, value__contains=normalize.email_key(text))
        if len(digits) >= 4:
            wanted |= Q(kind=LeadAlias.Kind.PHONE, value__contains=digits)
        if not wanted:
            return []
        found = LeadAlias.objects.filter(wanted).values_list("lead_id", flat=True)
        return list(found[:MAX_COMPANY_MATCHES])


class Lead(models.Model):
    """A person marketing knows about, on their way to becoming a customer."""

    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        MQL = "mql", _("MQL")
        SAL = "sal", _("SAL")
        SQL = "sql", _("SQL")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")
        RECYCLED = "recycled", _("Recycled")
        DISQUALIFIED = "disqualified", _("Disqualified")

    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Digits only (crm.normalize.phone_digits), for search and 名寄せ.
    phone_digits = models.CharField(max_length=20, blank=True, editable=False)
    # The other numbers a business card carries, each kept apart: the direct
    # line is the one a rep calls.
    phone_direct = models.CharField(_("direct line"), max_length=30, blank=True)
    phone_department = models.CharField(_("department phone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=30, blank=True)
    fax = models.CharField(_("fax"), max_length=30, blank=True)
    # The digits of the direct, department and mobile numbers, space apart:
    # the search finds a person by any number they can be called on.
    other_phone_digits = models.CharField(max_length=70, blank=True, editable=False)
    # Names, readings and email as one key (crm.normalize.search_key).
    search_text = models.CharField(max_length=600, blank=True, editable=False)
    # The reading, kana folded (crm.normalize.reading_key): 五十音順, a short
    # kana search and the "same reading" duplicate rule.
    reading_key = models.CharField(max_length=200, blank=True, editable=False)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # Where the person works, when it is not the company's address (a branch).
    # db_default: the import's bulk insert names only the columns it fills.
    prefecture = models.CharField(
        _("prefecture"),
        max_length=2,
        choices=Prefecture.choices,
        blank=True,
        default="",
        db_default="",
    )
    address = models.CharField(_("address"), max_length=300, blank=True, default="", db_default="")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    source_campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("source campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sourced_leads",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set by crm.privacy.erase_person: the row stays (the KPIs count it) as an
    # anonymous placeholder that nothing may join again.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    objects = LeadQuerySet.as_manager()
    # Field-level change history of what people type (django-simple-history).
    # Derived columns and timestamps are left out; scores live in LeadScore,
    # which has none. Signals only: bulk writes (imports, QuerySet.update()
    # of stage and owner, which the stage history and the audit trail keep)
    # add no rows. Erasure deletes the person's rows (crm/privacy/erase.py).
    history = HistoricalRecords(
        excluded_fields=[*DERIVED_LEAD_COLUMNS, "created_at", "updated_at", "erased_at"]
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [
            ("view_all_leads", _("Can see every lead")),
            ("export_leads", _("Can export leads")),
            ("edit_every_person", _("Can create and edit every person and company")),
        ]
        constraints = [
            # One person per email, whatever its case: capture and import update.
            models.UniqueConstraint(Lower("email"), name="lead_email_unique_ci"),
        ]
        indexes = [
            # The KPI page counts leads created in a period.
            models.Index(fields=["created_at"], name="lead_created_idx"),
            # A rep's view: leads waiting for sales (stage = MQL).
            models.Index(fields=["stage"], name="lead_stage_idx"),
            # 名寄せ: people sharing a phone number.
            models.Index(fields=["phone_digits"], name="lead_phone_digits_idx"),
            # The lead list sorted by reading (五十音順).
            models.Index(fields=["reading_key", "id"], name="lead_reading_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived columns of this row only; they must never drift from their sources.
        for name, value in self.derived_columns().items():
            setattr(self, name, value)
        if (fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*fields, *DERIVED_LEAD_COLUMNS}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            # One INSERT … ON CONFLICT DO NOTHING: no read, no savepoint; the
            # new lead keeps its zero scores in memory (no read for them either).
            self.score = LeadScore(lead_id=self.pk)
            LeadScore.objects.bulk_create([self.score], ignore_conflicts=True)

    def get_absolute_url(self) -> str:
        return links.pk_url("crm:lead_detail", self.pk)  # the pattern reversed once

    @property
    def is_erased(self) -> bool:
        """Erased on request: no handoff, tracking or touch may join it again."""
        return self.erased_at is not None

    def derived_columns(self) -> dict[str, str]:
        return derived_lead_columns({name: getattr(self, name) for name in DERIVED_FROM})

    @property
    def display_name(self) -> str:
        """Family name first for a name in Japanese script and for a Japanese
        reader; given name first otherwise (crm/person_names.py)."""
        return person_names.full_name(
            self.family_name, self.given_name, language=translation.get_language() or ""
        )

    def scoring_facts(self) -> scoring.LeadFacts:
        company = self.company
        return scoring.LeadFacts(
            title=self.title,
            department=self.department,
            email=self.email,
            size_band=company.size_band if company else "",
            industry=company.industry if company else "",
            prefecture=company.prefecture if company else "",
            company_domain=company.domain if company else "",
        )

    @property
    def display_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    @property
    def fit_score(self) -> int:
        """The fit score (stored in LeadScore; select_related("score") in lists)."""
        return self._scores().fit

    @property
    def engagement_score(self) -> int:
        return self._scores().engagement

    def _scores(self) -> LeadScore:
        try:
            return self.score
        except LeadScore.DoesNotExist:
            return LeadScore(lead_id=self.pk)  # not scored yet: zeros


class LeadScore(models.Model):
    """A lead's fit and engagement, in a narrow table of their own.

    A full rescore rewrites every lead's scores: here that is a 40-byte row and
    two small indexes, where on crm_lead it was the whole row again in every one
    of its indexes (the trigram index of the search key included). Every lead
    has one: Lead.save() creates it, bulk paths insert it, and the rescore
    inserts any that is missing.
    """

    lead = models.OneToOneField(
        Lead, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    fit = models.IntegerField(_("fit score"), default=0, db_default=0)
    engagement = models.IntegerField(_("engagement score"), default=0, db_default=0)
    # When scores were last written (database clock): a full rescore leaves
    # alone the leads a worker scored after it began.
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lead score")
        verbose_name_plural = _("lead scores")
        indexes = [
            # The lead list sorted by score, highest first (and score filters).
            models.Index(fields=["-engagement", "-lead"], name="leadscore_engagement_idx"),
            models.Index(fields=["-fit", "-lead"], name="leadscore_fit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: fit {self.fit}, engagement {self.engagement}"


class LeadReading(models.Model):
    """A lead's reading (五十音順) and search key, copied into a narrow table
    partitioned by the reading's first kana row (ア行, カ行...): what the lead
    list reads to sort a search by reading.

    A common surname matches 5% of a million people; their crm_lead rows sit
    on every page of the table (245 MB), and reading them all to sort them
    by reading went through PostgreSQL's 128 MB of shared buffers again on
    every request (bench/README.md). Here the matches of サトウ sit in the
    サ行 partition, a few thousand pages that stay cached, and the other
    rows are read for the fifty shown only.

    Written by database triggers on crm_lead (migration
    0035_lead_reading_table), never by Django: every insert, update of the
    reading or search key, delete and truncate of crm_lead, whichever code
    path (save(), bulk_create, QuerySet.update(), raw SQL), copies itself.
    """

    lead = models.OneToOneField(
        Lead,
        on_delete=models.DO_NOTHING,  # the trigger deletes the row
        primary_key=True,
        related_name="reading",
        db_constraint=False,
    )
    reading_key = models.CharField(max_length=200)
    search_text = models.CharField(max_length=600)

    class Meta:
        # A partitioned table and its triggers: created by the migration.
        managed = False
        db_table = "crm_leadreading"

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.reading_key}"
