from django.contrib import admin

from handoff.models import Handoff, HandoffPolicy, Notification


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin[Handoff]):
    list_display = ["lead", "status", "score_at_handoff", "claimed_by", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["lead", "claimed_by"]


admin.site.register(HandoffPolicy)
admin.site.register(Notification)
