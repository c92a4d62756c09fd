from django.contrib import admin

from crm.models import Activity, Campaign, Company, Lead, OutboxEvent, ScoringRule, StageChange


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["name", "channel", "starts_on", "ends_on", "owner"]
    list_filter = ["channel"]
    search_fields = ["name", "utm_code"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin[Lead]):
    list_display = [
        "email",
        "family_name",
        "given_name",
        "stage",
        "fit_score",
        "engagement_score",
        "owner",
    ]
    list_select_related = ["score"]
    list_filter = ["stage"]
    search_fields = ["email", "family_name", "given_name"]
    raw_id_fields = ["company", "owner", "source_campaign"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    list_display = ["lead", "kind", "occurred_at", "points", "scored_at"]
    list_filter = ["kind"]
    raw_id_fields = ["lead", "campaign", "actor"]


admin.site.register(Company)
admin.site.register(ScoringRule)
admin.site.register(StageChange)
admin.site.register(OutboxEvent)
