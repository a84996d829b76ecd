from __future__ import annotations

from typing import Any

from django import forms

from lockstep.webhooks.events import EVENT_TYPES, LABELS
from lockstep.webhooks.inputs import WebhookInput
from lockstep.webhooks.models import Format
from lockstep.webhooks.sender import literal_host_refusal


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https", label="Address (URL)")
    events = forms.MultipleChoiceField(
        choices=[(name, LABELS[name]) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        label="Send these events",
    )
    format = forms.ChoiceField(choices=Format.choices, initial=Format.JSON)
    description = forms.CharField(max_length=200, required=False)
    allow_private = forms.BooleanField(
        required=False,
        label="Allow private and loopback addresses",
        help_text="Only for a receiver inside your own network: otherwise Lockstep never "
        "calls its own server or private addresses.",
    )
    active = forms.BooleanField(required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url = cleaned.get("url")
        if url:
            reason = literal_host_refusal(url, bool(cleaned.get("allow_private")))
            if reason:
                self.add_error("url", reason)
        return cleaned

    def to_input(self) -> WebhookInput:
        data = self.cleaned_data
        return WebhookInput(
            url=data["url"],
            events=tuple(data["events"]),
            format=data["format"],
            description=data["description"],
            allow_private=data["allow_private"],
            active=data["active"],
        )
