from __future__ import annotations

from django import forms
from django.utils.text import slugify

from lockstep.results.models import TouchKind


class RejectionReasonForm(forms.Form):
    label = forms.CharField(max_length=80, label="New reason")

    def clean_label(self) -> str:
        label: str = self.cleaned_data["label"].strip()
        if not slugify(label):
            raise forms.ValidationError("A reason needs a name with letters or digits.")
        return label


class ProgramSlaForm(forms.Form):
    """A program's first-touch SLA: set on its results page (results owns what the SLA
    does to leads; the programs app keeps the setting)."""

    sla_hours = forms.IntegerField(
        min_value=1, max_value=200, label="First-touch SLA (business hours)"
    )


class TouchForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchKind.choices)
    note = forms.CharField(max_length=500, required=False)
