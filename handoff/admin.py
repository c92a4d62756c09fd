from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from handoff import notify
from handoff.models import ChatDelivery, Handoff, HandoffPolicy, Notification


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin[Handoff]):
    list_display = ["lead", "status", "score_at_handoff", "claimed_by", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["lead", "claimed_by"]


class HandoffPolicyAdminForm(forms.ModelForm[HandoffPolicy]):
    # The admin supplies the model and fields; this adds the URL check.
    def clean_chat_webhook_url(self) -> str:
        return notify.clean_chat_webhook_url(self.cleaned_data["chat_webhook_url"])


@admin.register(HandoffPolicy)
class HandoffPolicyAdmin(admin.ModelAdmin[HandoffPolicy]):
    form = HandoffPolicyAdminForm
    # A URL typed without a scheme is taken as https (the only one accepted).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Shown so that whoever sets up the receiver can copy it.
    readonly_fields = ["chat_webhook_secret"]

    def save_model(self, request: HttpRequest, obj: HandoffPolicy, form: Any, change: bool) -> None:
        notify.ensure_chat_webhook_secret(obj)
        super().save_model(request, obj, form, change)


admin.site.register(Notification)


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin[ChatDelivery]):
    list_display = ["handoff", "kind", "status", "attempts", "last_error", "created_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["handoff"]
