"""Small helpers shared by every app's forms."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Restrict a model-choice field to the rows this form may offer (e.g. one organization's
    teams): a posted id outside them is a validation error, not a foreign row."""
    field = cast("forms.ModelChoiceField[Any]", form.fields[name])
    field.queryset = queryset
