from __future__ import annotations

from django import forms

from lockstep.feedback.models import PULSE_STATEMENTS

SCALE = [(i, str(i)) for i in range(1, 6)]


class PulseForm(forms.Form):
    understand = forms.TypedChoiceField(
        choices=SCALE, coerce=int, widget=forms.RadioSelect, label=PULSE_STATEMENTS["understand"]
    )
    helps = forms.TypedChoiceField(
        choices=SCALE, coerce=int, widget=forms.RadioSelect, label=PULSE_STATEMENTS["helps"]
    )
    next_steps = forms.TypedChoiceField(
        choices=SCALE, coerce=int, widget=forms.RadioSelect, label=PULSE_STATEMENTS["next_steps"]
    )
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Anything else? (optional)",
    )


class PulseSettingsForm(forms.Form):
    day_offset = forms.IntegerField(
        min_value=0, max_value=365, label="Add a round, days after launch", required=False
    )
    anonymous = forms.BooleanField(required=False, label="Anonymous to marketing")


class AnswerForm(forms.Form):
    answer = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class FaqForm(forms.Form):
    faq_question = forms.CharField(
        label="Question as it appears in the FAQ",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    faq_answer = forms.CharField(
        label="Answer for every rep", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
