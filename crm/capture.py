"""Capture: a form submit or JSON post from the public endpoint becomes a lead.

The endpoint is public: whoever posts knows an email address, nothing more.
A new address makes a new lead from what was sent (as a sign-up should). A
known one is the same person's or an impostor's, so the submit only adds:
it fills empty fields, proposes the others (crm/proposals.py), and asks the
person by email before it grants what only they may grant
(crm/confirmations.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from crm import attribution, confirmations, ledger, people, proposals
from crm.attribution import Utm
from crm.models import Activity, Answer, Campaign, Consent, Lead, StageChange
from crm.services import company_named, kept_email, normalise_email, record_activity


@dataclass(frozen=True)
class ConsentEvidence:
    """What proves a consent: when, under which policy, from where."""

    basis: str
    policy_version: str
    ip_address: str | None
    user_agent: str
    source: str


@dataclass(frozen=True)
class CaptureData:
    """What a capture form or JSON submit says about a person, and where it came from."""

    email: str
    family_name: str
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    company_name: str = ""
    title: str = ""
    phone: str = ""
    message: str = ""
    # The website visitor id the tracking script adds to the form.
    visitor_id: str = ""
    # A consent asked for (the box ticked), with its evidence.
    consent: ConsentEvidence | None = None
    utm: Utm = field(default_factory=Utm)
    # Answers to the form's questions, for the question ledger.
    answers: tuple[ledger.Given, ...] = ()
    # The reader's language, for a confirmation email; the sender's address and browser.
    language: str = ""
    ip_address: str | None = None
    user_agent: str = ""


@transaction.atomic
def capture_lead(
    campaign: Campaign, *, data: CaptureData, occurred_at: datetime | None = None
) -> tuple[Lead, Activity]:
    """Create or update the person behind a form submit and record the submit.

    1. One lead per email, also when two submits arrive at once: the unique
       email constraint decides and the loser reads the winner's row
       (get_or_create retries on IntegrityError).
    2. A new lead is made from the submit: its source campaign is the one
       its utm_campaign names, or this form's; a consent is recorded with its
       evidence; the visitor id goes on the timeline, where nurture joins the
       visits before the submit.
    3. A known lead is only added to: empty fields filled, the rest
       proposed, and a missing consent or the visitor id asked for by email
       (a consent the lead still has is renewed at once). Captures of one
       lead take turns, without locking its row.
    4. The submit goes on the timeline and counts as a touch; its answers
       go into the question ledger (once: a duplicate delivery, taking its
       turn after the first, finds them there).
    """
    named = attribution.campaign_named_by(data.utm) if data.utm.campaign else None
    lead, created = _lead_of(data, source_campaign=named or campaign)
    if created:
        people.record_first_stages(
            [lead.pk], stage=lead.stage, by=None, reason=StageChange.Reason.CAPTURE
        )
        if data.consent:
            _record_consent(lead, data.consent)
    else:
        _one_capture_at_a_time(lead)
    activity = _record_submit(lead, campaign, data=data, new=created, occurred_at=occurred_at)
    if not created:
        _add_to_known_lead(lead, campaign=campaign, data=data, activity=activity)
    ledger.add_answers(lead, data.answers, source=Answer.Source.WEB_FORM, at=activity.occurred_at)
    touch = attribution.TouchData(
        lead_id=lead.pk,
        occurred_at=activity.occurred_at,
        kind=activity.kind,
        utm=data.utm,
        campaign_id=(named or campaign).pk,
        activity_id=activity.pk,
    )
    attribution.record_touches([touch])
    return lead, activity


def _lead_of(data: CaptureData, *, source_campaign: Campaign) -> tuple[Lead, bool]:
    """The lead the submit's email names, made from the submit if new (built
    as every new lead is: crm.people.lead_row); True when it was made."""
    email = kept_email(normalise_email(data.email))
    fields = ("family_name", "given_name", "family_name_kana", "given_name_kana", "title", "phone")
    row = people.lead_row({"email": email, **{name: getattr(data, name) for name in fields}})
    return Lead.objects.with_email(email).get_or_create(
        defaults={
            **row,
            "company": lambda: company_named(data.company_name),  # made only for a new lead
            "source_campaign": source_campaign,
        },
    )


# The advisory lock's first key: captures of one lead (the second key is its id).
CAPTURES_OF_A_LEAD = 0x63617074  # "capt"


def _one_capture_at_a_time(lead: Lead) -> None:
    """Make two captures of one known lead take turns (one open proposal per
    field, one confirmation email an hour), until the transaction ends.

    An advisory lock rather than the lead's row: scoring holds the row while
    it works, and a capture must not wait for scoring (its activity insert
    only needs the row's key). SQLite runs one writer at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CAPTURES_OF_A_LEAD, lead.pk])


def _record_submit(
    lead: Lead, campaign: Campaign, *, data: CaptureData, new: bool, occurred_at: datetime | None
) -> Activity:
    """The submit on the timeline. Its visitor id only for a lead it created:
    nurture joins the visits of the ids it finds here (nurture/visits.py)."""
    form = {"email": lead.email, "message": data.message}
    if new and data.visitor_id:
        form["visitor_id"] = data.visitor_id
    activity, _ = record_activity(
        lead,
        kind=Activity.Kind.FORM_SUBMIT,
        campaign=campaign,
        details={
            "form": {k: v for k, v in form.items() if v},
            "campaign": campaign.name,
            **({"utm": data.utm.as_dict()} if data.utm else {}),
        },
        occurred_at=occurred_at,
        channel=Activity.Channel.CAPTURE,
    )
    return activity


def _record_consent(lead: Lead, evidence: ConsentEvidence) -> Consent:
    return Consent.objects.create(
        lead=lead,
        basis=evidence.basis,
        policy_version=evidence.policy_version,
        ip_address=evidence.ip_address or None,
        user_agent=evidence.user_agent[:300],
        source=evidence.source[:100],
    )


def _add_to_known_lead(
    lead: Lead, *, campaign: Campaign, data: CaptureData, activity: Activity
) -> None:
    """Step 3 of capture_lead, with the lead locked."""
    values = {
        "family_name": data.family_name,
        "given_name": data.given_name,
        "title": data.title,
        "phone": data.phone,
        "company": data.company_name,
    }
    proposals.fill_or_propose(lead, values, activity=activity, campaign=campaign)
    has_consent = Lead.objects.with_marketing_consent().filter(pk=lead.pk).exists()
    if data.consent and has_consent:
        _record_consent(lead, data.consent)  # renewed evidence, nothing new granted
    wants_consent = bool(data.consent) and not has_consent
    visitor_id = "" if _vouched_for(lead, data.visitor_id) else data.visitor_id
    if wants_consent or visitor_id:
        confirmations.ask(
            lead,
            campaign=campaign,
            activity=activity,
            wants_consent=wants_consent,
            policy_version=data.consent.policy_version if data.consent else "",
            visitor_id=visitor_id,
            language=data.language,
            ip_address=data.ip_address,
            user_agent=data.user_agent,
        )


def _vouched_for(lead: Lead, visitor_id: str) -> bool:
    """Whether this visitor id is already the lead's on proof: the submit
    that created the lead carried it, or the person confirmed it by email.
    (The tracked-email-link path is nurture's and not seen here: at worst
    one confirmation email too many.)"""
    if not visitor_id:
        return False
    return lead.activities.filter(
        kind__in=[Activity.Kind.FORM_SUBMIT, Activity.Kind.CONFIRMED],
        details__form__visitor_id=visitor_id,
    ).exists()
