"""Forms of insights' pages: a retrospective's lessons, the digest subscription."""

from __future__ import annotations

from django import forms


class LessonsForm(forms.Form):
    lessons = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. What worked, what did not, what the next program should do "
        "differently.",
    )


class SubscriptionForm(forms.Form):
    subscribed = forms.TypedChoiceField(
        choices=[("1", "Subscribe"), ("0", "Unsubscribe")], coerce=lambda v: v == "1"
    )
