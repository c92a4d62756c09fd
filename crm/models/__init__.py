"""crm's models, one module per area; import them from here."""

from crm.models.activity import Activity, Answer
from crm.models.aliases import LeadAlias
from crm.models.attribution import Touch
from crm.models.campaign import Campaign, new_capture_key
from crm.models.capture import CaptureConfirmation, ProposedChange
from crm.models.choices import Industry, Prefecture, SizeBand
from crm.models.company import Company
from crm.models.deal import Deal, DealStage, DealStageChange, LostReason
from crm.models.imports import ImportJob
from crm.models.lifecycle import Consent, StageChange
from crm.models.lists import BulkJob, DefaultView, ListKey, SavedView
from crm.models.outbox import OutboxEvent
from crm.models.people import Lead, LeadReading, LeadScore
from crm.models.privacy import PersonalRows, Tombstone
from crm.models.questions import FormQuestion
from crm.models.scoring import RescoreJob, ScoringRule

__all__ = [
    "Activity",
    "Answer",
    "BulkJob",
    "Campaign",
    "CaptureConfirmation",
    "Company",
    "Consent",
    "Deal",
    "DealStage",
    "DealStageChange",
    "DefaultView",
    "FormQuestion",
    "ImportJob",
    "Industry",
    "Lead",
    "LeadAlias",
    "LeadReading",
    "LeadScore",
    "ListKey",
    "LostReason",
    "OutboxEvent",
    "PersonalRows",
    "Prefecture",
    "ProposedChange",
    "RescoreJob",
    "SavedView",
    "ScoringRule",
    "SizeBand",
    "StageChange",
    "Tombstone",
    "Touch",
    "new_capture_key",
]
