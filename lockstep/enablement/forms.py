from __future__ import annotations

from typing import Any

from django import forms


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV with an “email” column: one attendee per row.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("An attendance file is at most 5 MB.")
        return upload
