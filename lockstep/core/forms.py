"""Small helpers shared by every app's forms."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from lockstep.core.params import FIRST_DAY, LAST_DAY, posted_id


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Restrict a model-choice field to the rows this form may offer (e.g. one organization's
    teams): a posted id outside them is a validation error, not a foreign row."""
    field = cast("forms.ModelChoiceField[Any]", form.fields[name])
    field.queryset = queryset


class ModelIdsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A multiple model choice whose ids are read strictly (`core.params.posted_id`) before
    any query: "²" or an id past the database's 64-bit integers is "not a valid value",
    never a server error (Django's `__in` lookup does not guard against overflow)."""

    def clean(self, value: Any) -> Any:
        if (self.to_field_name or "pk") == "pk" and isinstance(value, list | tuple):
            for item in value:
                if not posted_id(str(item)):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": str(item)[:24]},
                    )
        return super().clean(value)


class IdPrefixForm(forms.Form):
    """A form whose element ids start with its `id_prefix` ("training_title", not
    "id_title"): a page with several forms (the program page) never repeats an id, so each
    label focuses its own field. Field names, and so what is posted, are unchanged."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def check_plan_date(value: dt.date | None) -> None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            f"Pick a date between {FIRST_DAY:%Y} and {LAST_DAY:%Y}.", code="date_range"
        )


class PlanDateField(forms.DateField):
    """A date of the plan (launch, end, activity, expiry), within FIRST_DAY…LAST_DAY."""

    default_validators = [check_plan_date]
