from django import forms
from django.utils.translation import gettext_lazy as _

from handoff.models import Handoff


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Handoff.RejectReason.choices)
    note = forms.CharField(
        label=_("Note for marketing"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
