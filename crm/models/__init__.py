"""crm's models, one module per area; import them from here."""

from crm.models.activity import Activity, Answer
from crm.models.aliases import LeadAlias
from crm.models.attribution import Touch
from crm.models.campaign import Campaign, new_capture_key
from crm.models.capture import CaptureConfirmation, ProposedChange
from crm.models.choices import Industry, Prefecture, SizeBand
from crm.models.deal import Deal, DealStage, DealStageChange, LostReason
from crm.models.imports import ImportJob
from crm.models.outbox import OutboxEvent
from crm.models.people import Company, Consent, Lead, LeadScore, StageChange
from crm.models.privacy import PersonalRows, Tombstone
from crm.models.scoring import RescoreJob, ScoringRule

__all__ = [
    "Activity",
    "Answer",
    "Campaign",
    "CaptureConfirmation",
    "Company",
    "Consent",
    "Deal",
    "DealStage",
    "DealStageChange",
    "ImportJob",
    "Industry",
    "Lead",
    "LeadAlias",
    "LeadScore",
    "LostReason",
    "OutboxEvent",
    "PersonalRows",
    "Prefecture",
    "ProposedChange",
    "RescoreJob",
    "ScoringRule",
    "SizeBand",
    "StageChange",
    "Tombstone",
    "Touch",
    "new_capture_key",
]
