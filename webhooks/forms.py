from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks import sender
from webhooks.models import Endpoint, EventType


class EndpointForm(forms.ModelForm[Endpoint]):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "https only. Addresses on this server or the internal network (loopback, "
            "private, link-local) are refused."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["is_active"]  # a new endpoint starts active

    def clean_url(self) -> str:
        return sender.validate_webhook_url(self.cleaned_data["url"].strip())
