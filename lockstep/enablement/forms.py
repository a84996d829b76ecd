from __future__ import annotations

from typing import Any

from django import forms

from lockstep.enablement.models import QuestionKind

CHOICE_SLOTS = 5


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Question", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(choices=QuestionKind.choices, label="Answers")
    explanation = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown after submission: why the right answer is right.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(CHOICE_SLOTS):
            self.fields[f"choice_{i}"] = forms.CharField(
                required=False, max_length=300, label=f"Choice {i + 1}"
            )
            self.fields[f"correct_{i}"] = forms.BooleanField(required=False, label="correct")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        choices = []
        for i in range(CHOICE_SLOTS):
            text = (cleaned.get(f"choice_{i}") or "").strip()
            if text:
                choices.append((text, bool(cleaned.get(f"correct_{i}"))))
            elif cleaned.get(f"correct_{i}"):
                self.add_error(f"choice_{i}", "A correct answer needs text.")
        correct = sum(1 for _, c in choices if c)
        if len(choices) < 2:
            raise forms.ValidationError("Give at least two choices.")
        if len({t.lower() for t, _ in choices}) != len(choices):
            raise forms.ValidationError("Two choices have the same text.")
        if cleaned.get("kind") == QuestionKind.SINGLE and correct != 1:
            raise forms.ValidationError("A one-answer question has exactly one correct choice.")
        if cleaned.get("kind") == QuestionKind.MULTIPLE and correct < 1:
            raise forms.ValidationError("Mark at least one choice as correct.")
        cleaned["choices"] = choices
        return cleaned

    def choice_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"choice_{i}"], self[f"correct_{i}"]) for i in range(CHOICE_SLOTS)]


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV with an “email” column: one attendee per row.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("An attendance file is at most 5 MB.")
        return upload
